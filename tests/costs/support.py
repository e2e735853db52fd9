"""What the cost API tests share: a London location with a tariff, records, and a way to
move a tariff replacement to a known instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from tariffconnect.tariffs.models import Tariff
from tests.meters.support import INTERVAL, put
from tests.schedules.support import connect
from tests.tariffs.support import flat, tariff_body


def connect_flat(client, tenant, location_id: str, rate: float, **extra: Any) -> str:
    return connect(client, tenant, tariff_body(location_id, flat(rate), **extra))["id"]


def replaced_at(database, tariff_id: str, when: str) -> None:
    """Say the tariff was replaced at `when` (the API replaces it at the time of the call)."""
    with database.transaction() as session:
        session.execute(
            update(Tariff)
            .where(Tariff.id == tariff_id)
            .values(time_replaced=datetime.fromisoformat(when))
        )


def submit(client, tenant, records: list[dict[str, Any]]) -> None:
    batch = put(client, tenant, INTERVAL, records)
    assert batch["failed_records"] == [], batch


def periods(body: dict[str, Any]) -> list[tuple[str, str, float, float, float]]:
    """An energy_cost's data: (start, end, Wh, cost, confidence)."""
    return [
        (
            d["start_time"],
            d["end_time"],
            d["energy"]["value"],
            d["cost"]["value"],
            d["cost"]["confidence"],
        )
        for d in body["data"]
    ]


def tiered(first: float, limit: float, then: float) -> list[dict[str, Any]]:
    """A flat schedule with two tiers: `first` up to `limit` kWh, `then` beyond."""
    window = {
        "valid_from": "00:00:00",
        "valid_to": "00:00:00",
        "rate": [{"fixed": first, "to_kwh": limit}, {"fixed": then, "to_kwh": None}],
    }
    return [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [window]}]}]
