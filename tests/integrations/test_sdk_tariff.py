"""The SDK tariff schema (and the anode schedule form) into our schedule, and each bad shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tariffconnect.integrations.sdk_tariff import Captured, PullFailed, parse

ZONE = "Europe/London"


def window(valid_from: str, valid_to: str, *rates: dict[str, Any]) -> dict[str, Any]:
    return {"valid_from": valid_from, "valid_to": valid_to, "rate": list(rates)}


def sdk(**extra: Any) -> dict[str, Any]:
    """A converted tariff as the SDK's TariffSchema has it."""
    return {
        "display_name": "Agile",
        "timezone": ZONE,
        "integration_instance": "octopus",
        "direction": "IMPORT",
        "connection_type": "DIRECT",
        "data": [
            {
                "months": ["All"],
                "days_and_hours": [
                    {
                        "days": ["All"],
                        "hours": [
                            window("07:00:00", "23:00:00", {"value": 0.3}),
                            window("23:00:00", "07:00:00", {"value": 0.12}),
                        ],
                    }
                ],
            }
        ],
        **extra,
    }


def test_the_sdk_schema_becomes_our_schedule() -> None:
    captured = parse(
        sdk(
            contract_end_date="2027-01-31T00:00:00Z",
            provider_tariff_expiry_date="2026-03-02T00:00:00+00:00",
        ),
        timezone=ZONE,
    )
    assert captured == Captured(
        display_name="Agile",
        schedule=[
            {
                "months": ["All"],
                "dates": [],
                "days_and_hours": [
                    {
                        "days": ["All"],
                        "hours": [
                            {
                                "valid_from": "07:00:00",
                                "valid_to": "23:00:00",
                                "rate": [
                                    {
                                        "fixed": 0.3,
                                        "to_kwh": None,
                                        "surcharge_fixed": None,
                                        "surcharge_percentage": None,
                                    }
                                ],
                            },
                            {
                                "valid_from": "23:00:00",
                                "valid_to": "07:00:00",
                                "rate": [
                                    {
                                        "fixed": 0.12,
                                        "to_kwh": None,
                                        "surcharge_fixed": None,
                                        "surcharge_percentage": None,
                                    }
                                ],
                            },
                        ],
                    }
                ],
            }
        ],
        contract_end_date=datetime(2027, 1, 31, tzinfo=UTC),
        expires=datetime(2026, 3, 2, tzinfo=UTC),
    )


def test_the_anode_form_tiers_and_spelt_out_names() -> None:
    answer = {
        "display_name": "Seasonal",
        "schedule": [
            {
                "months": ["January", "february", "Mar", "April", "May", "June"],
                "days_and_hours": [
                    {
                        "days": ["Monday", "Tue", "Wednesday", "Thursday", "Friday"],
                        "hours": [
                            window(
                                "00:00:00",
                                "00:00:00",
                                {"fixed": 0.2, "to_kwh": 100},
                                {"fixed": 0.3},
                            )
                        ],
                    },
                    {
                        "days": ["Weekend"],
                        "hours": [window("00:00:00", "00:00:00", {"fixed": 0.1})],
                    },
                ],
            },
            {
                "months": ["All"],
                "days_and_hours": [
                    {"days": ["All"], "hours": [window("00:00:00", "00:00:00", {"value": 0.25})]}
                ],
            },
        ],
        "contract_end_date": "0001-01-01T00:00:00Z",
    }
    captured = parse(answer, timezone=ZONE)
    first = captured.schedule[0]
    assert first["months"] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    assert first["days_and_hours"][0]["days"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    tiers = first["days_and_hours"][0]["hours"][0]["rate"]
    assert [(t["fixed"], t["to_kwh"]) for t in tiers] == [(0.2, 100.0), (0.3, None)]
    assert captured.contract_end_date is None and captured.expires is None


def test_float_noise_is_rounded_to_five_decimals() -> None:
    answer = sdk()
    answer["data"][0]["days_and_hours"][0]["hours"][0]["rate"] = [{"value": 24.567 / 100}]
    rate = parse(answer, timezone=ZONE).schedule[0]["days_and_hours"][0]["hours"][0]["rate"]
    assert rate[0]["fixed"] == 0.24567


def _without_hours_gap() -> dict[str, Any]:
    answer = sdk()
    answer["data"][0]["days_and_hours"][0]["hours"].pop()
    return answer


def _with_rate(rate: Any) -> dict[str, Any]:
    answer = sdk()
    answer["data"][0]["days_and_hours"][0]["hours"][0]["rate"] = rate
    return answer


def _with_day(day: str) -> dict[str, Any]:
    answer = sdk()
    answer["data"][0]["days_and_hours"][0]["days"] = [day]
    return answer


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ([], "the tariff is not a JSON object"),
        ({"data": []}, "the tariff has no display_name"),
        (sdk(display_name=" "), "the tariff has no display_name"),
        (sdk(data=[]), "the tariff has no data (a non-empty list of schedule entries)"),
        (sdk(data="x"), "the tariff has no data (a non-empty list of schedule entries)"),
        (
            sdk(timezone="Europe/Paris"),
            "the tariff's timezone is not the location's (Europe/London)",
        ),
        (sdk(contract_end_date="soon"), "contract_end_date is not an RFC 3339 date-time"),
        (sdk(contract_end_date="2027-01-01T00:00:00"), "contract_end_date has no UTC offset"),
        (sdk(provider_tariff_expiry_date=5), "provider_tariff_expiry_date is not a date-time"),
        (_with_rate([{}]), "a rate has no value"),
        (_with_rate([{"value": 1, "fixed": 1}]), "a rate has both value and fixed"),
        (
            _with_rate([{"value": "0.3"}]),
            "invalid schedule at data.0.days_and_hours.0.hours.0.rate.0.fixed: "
            "Value error, must be a JSON number, not a string or a boolean",
        ),
        (
            _without_hours_gap(),
            "invalid schedule: gap_in_time_period: "
            "All months, All days: 23:00:00-07:00:00 is not covered",
        ),
        (_with_day("Someday"), "invalid schedule at data.0.days_and_hours.0.days.0: "),
        (sdk(data=[1]), "invalid schedule at data.0: "),
    ],
)
def test_bad_shapes_fail_with_the_reason(answer: Any, reason: str) -> None:
    with pytest.raises(PullFailed) as caught:
        parse(answer, timezone=ZONE)
    if reason.endswith(": "):  # pydantic's own wording follows
        assert caught.value.reason.startswith(reason), caught.value.reason
    else:
        assert caught.value.reason == reason
