"""The `tariff_summary` page: the connected tariff and its rates for yesterday, today and
tomorrow, in the reference front end's RateEntry shape."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.prices.schemas import PriceWindow
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
    session: Session, *, scope: Scope, location: Location, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's price intervals; a day without prices yet (a market day not
    published) is an empty list."""
    zone = ZoneInfo(location.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    out: dict[str, list[dict[str, Any]]] = {}
    for key, offset in DAYS:
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(), zone)
        end = datetime.combine(day + timedelta(days=1), time(), zone)
        window = PriceWindow(start_time=start, end_time=end, tariff_direction="IMPORT")
        try:
            price = prices.price(
                session, scope=scope, location_id=location.id, device_id=None, window=window
            )
        except ApiError as error:
            if error.code not in {"no_price_data", "no_tariff_connected"}:
                raise
            out[key] = []
            continue
        out[key] = [
            {
                "tariff": {
                    "confidence": entry["price"]["confidence"],
                    "cost": entry["price"]["value"],
                },
                "valid_from": entry["valid_from"].isoformat(),
                "valid_to": entry["valid_to"].isoformat(),
            }
            for entry in price["data"]
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
