"""A location's prices for yesterday, today and tomorrow (its local days): what Connect's
tariff summary and zero's location status show."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.tariffs import service as tariffs

DAYS = (("yesterday", -1), ("today", 0), ("tomorrow", 1))


def around(
    session: Session,
    *,
    location: Location,
    now: datetime,
    direction: str = "IMPORT",
    tariff_type: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's prices of the location's connected tariffs of `direction` (summed, as
    `/prices` gives them; only those of `tariff_type` when given), as `{valid_from, valid_to,
    value, confidence}` in the location's offsets; a day without prices yet (a market day not
    published) is an empty list."""
    zone = ZoneInfo(location.timezone)
    priced = [
        t
        for t in tariffs.connected(session, location_ids=[location.id])
        if t.tariff_direction == direction and tariff_type in (None, t.tariff_type)
    ]
    if not priced:
        return {key: [] for key, _ in DAYS}
    today = now.astimezone(zone).date()
    out: dict[str, list[dict[str, Any]]] = {}
    for key, offset in DAYS:
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        try:
            found = prices.intervals(session, location, priced, start=start, end=end)
        except ApiError as error:
            if error.code != "no_price_data":
                raise
            found = []
        out[key] = [
            {
                "valid_from": i.start.astimezone(zone).isoformat(),
                "valid_to": i.end.astimezone(zone).isoformat(),
                "value": float(i.value),
                "confidence": float(i.confidence),
            }
            for i in found
        ]
    return out
