"""The `tariff_summary` page: the connected tariff and its rates for yesterday, today and
tomorrow, in the reference front end's RateEntry shape."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.core.timeutil import format_utc
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff

DAYS = (("yesterday", -1), ("today", 0), ("tomorrow", 1))


def structure_of(tariff: Tariff) -> str:
    """FIXED, TIME_OF_DAY or MARKET, read off the stored tariff."""
    if tariff.market_rates:
        return "MARKET"
    rates = {
        str(tier["fixed"])
        for entry in tariff.schedule
        for day in entry["days_and_hours"]
        for hour in day["hours"]
        for tier in hour["rate"]
    }
    return "FIXED" if len(rates) == 1 else "TIME_OF_DAY"


def is_tiered(tariff: Tariff) -> bool:
    return any(
        len(hour["rate"]) > 1
        for entry in tariff.schedule
        for day in entry["days_and_hours"]
        for hour in day["hours"]
    )


def rates(
    session: Session, *, location: Location, now: datetime, direction: str = "IMPORT"
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's prices of the location's tariffs of `direction` (summed, as `/prices`
    gives them); a day without prices yet (a market day not published) is an empty list."""
    zone = ZoneInfo(location.timezone)
    priced = [
        t
        for t in tariffs.connected(session, location_ids=[location.id])
        if t.tariff_direction == direction
    ]
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
                "tariff": {"confidence": float(i.confidence), "cost": float(i.value)},
                "valid_from": i.start.astimezone(zone).isoformat(),
                "valid_to": i.end.astimezone(zone).isoformat(),
            }
            for i in found
        ]
    return out


def tariff_part(tariff: Tariff) -> dict[str, Any]:
    end = tariff.contract_end_date
    return {
        "id": tariff.id,
        "name": tariff.display_name or "",
        "contract_end_date": None if end is None else format_utc(end),
        "reconnect_required": False,
        "structure_type": structure_of(tariff),
        "tiered": is_tiered(tariff),
        "connection_type": tariff.connection_type,
    }
