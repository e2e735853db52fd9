"""Tariff bodies for the API tests."""

from __future__ import annotations

from typing import Any


def window(start: str, end: str, rate: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "valid_from": start,
        "valid_to": end,
        "rate": [
            {"fixed": rate, "to_kwh": None, "surcharge_fixed": None, "surcharge_percentage": None}
            | extra
        ],
    }


def flat(rate: float) -> list[dict[str, Any]]:
    return [
        {
            "months": ["All"],
            "days_and_hours": [{"days": ["All"], "hours": [window("00:00:00", "00:00:00", rate)]}],
        }
    ]


def two_rate(
    cheap: float, peak: float, start: str = "00:30:00", end: str = "07:30:00"
) -> list[dict[str, Any]]:
    return [
        {
            "months": ["All"],
            "days_and_hours": [
                {"days": ["All"], "hours": [window(start, end, cheap), window(end, start, peak)]}
            ],
        }
    ]


def tariff_body(location_id: str, schedule: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"location_id": location_id, "schedule": schedule, **extra}
