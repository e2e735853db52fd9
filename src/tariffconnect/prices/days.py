"""A location's prices for yesterday, today and tomorrow (its local days): what Connect's
tariff summary and zero's location status show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.locations import direct_status
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff

DAYS = (("yesterday", -1), ("today", 0), ("tomorrow", 1))


def around(
    session: Session,
    *,
    location: Location,
    now: datetime,
    direction: str = "IMPORT",
    tariff_type: str | None = None,
    connected: Sequence[Tariff] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's prices of the location's connected tariffs of `direction` (summed, as
    `/prices` gives them; only those of `tariff_type` when given), as `{valid_from, valid_to,
    value, confidence}` in the location's offsets; a day without prices yet (a market day not
    published) is an empty list. `connected`: the location's connected tariffs, when the
    caller has read them."""
    zone = ZoneInfo(location.timezone)
    if connected is None:
        connected = tariffs.connected(session, location_ids=[location.id])
    priced = [
        t
        for t in connected
        if t.tariff_direction == direction and tariff_type in (None, t.tariff_type)
    ]
    if not priced:
        return {key: [] for key, _ in DAYS}
    today = now.astimezone(zone).date()
    versions = prices.market_versions(session, priced)
    states = direct_status.states(session, [location.id])[location.id]
    out: dict[str, list[dict[str, Any]]] = {}
    for key, offset in DAYS:
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        try:
            found = prices.intervals(
                session, location, priced, start=start, end=end, versions=versions, states=states
            )
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
