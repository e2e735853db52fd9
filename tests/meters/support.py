"""What the meter and cost API tests share: records, submissions and what was stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tariffconnect.core.timeutil import as_utc
from tariffconnect.meters.models import MeterRecord

INTERVAL = "/meters/interval"
CUMULATIVE = "/meters/cumulative/epoch"


def record(location_id: str, **fields: Any) -> dict[str, Any]:
    """A valid half-hour record of 500 Wh at 2026-06-01 00:00Z, with `fields` on top."""
    return {
        "location_id": location_id,
        "units": "WH",
        "value": 500,
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T00:30:00Z",
    } | fields


def half_hours(location_id: str, start: str, values, **fields: Any) -> list[dict[str, Any]]:
    """Back-to-back half-hour WH records from `start` (an aware ISO time)."""
    first = datetime.fromisoformat(start)
    return [
        record(
            location_id,
            value=value,
            start_time=(first + timedelta(minutes=30 * i)).isoformat(),
            end_time=(first + timedelta(minutes=30 * (i + 1))).isoformat(),
            **fields,
        )
        for i, value in enumerate(values)
    ]


def put(client, tenant, path: str, body: Any, status: int = 200) -> dict[str, Any]:
    response = client.put(path, json=body, headers=tenant.test)
    assert response.status_code == status, response.text
    return response.json()


def failures(batch: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [
        (f["record_num"], f["record_reference_id"], f["error"]) for f in batch["failed_records"]
    ]


def stored(database, location_id: str) -> list[tuple[str, str, str, str, Decimal, str | None]]:
    """The location's stored records: (start, end, flow, tariff, Wh, record_reference_id)."""
    with database.transaction(write=False) as session:
        rows = session.scalars(
            select(MeterRecord)
            .where(MeterRecord.location_id == location_id)
            .order_by(MeterRecord.start_time, MeterRecord.id)
        ).all()
        return [
            (
                as_utc(r.start_time).isoformat(),
                as_utc(r.end_time).isoformat(),
                r.energy_flow_direction,
                r.tariff_direction,
                Decimal(r.energy_wh),
                r.record_reference_id,
            )
            for r in rows
        ]
