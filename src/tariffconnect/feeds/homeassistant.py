"""The Home Assistant feed: a location's prices in the attributes of the Nord Pool
integration (custom-components/nordpool), the shape most of Home Assistant's price
consumers read (ApexCharts price cards, the Cheapest Energy Hours macro's defaults): the
state is the current price, and the attributes `raw_today` / `raw_tomorrow`
(`[{"start", "end", "value"}]`, local times with their offset), `today` / `tomorrow` (the
values alone), `tomorrow_valid`, `current_price`, `min`, `max` and `average` (`mean` too, as
others name it). A REST sensor copies them with `json_attributes` (docs/integrations.md).

Days are the location's local days: 23, 24 or 25 hours. As Nord Pool does, tomorrow is left
empty (`tomorrow_valid` false) until all of its prices are published: a forecast is not a
price to schedule a day on.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.feeds import cache
from tariffconnect.feeds.slots import Priced, Slot, priced, slot_start
from tariffconnect.feeds.tokens import Feed

_QUANTUM = Decimal("0.00001")  # prices go out with at most 5 decimals, as /prices does


def day_start(day: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day of `day` begins."""
    local = day.astimezone(zone).date()
    return as_utc(datetime.combine(local, time(0), tzinfo=zone))


def body(session: Session, *, feed: Feed, now: datetime) -> bytes:
    """The feed's JSON for the local day `now` is in and the next."""
    zone = ZoneInfo(feed.timezone)
    today = day_start(now, zone)
    tomorrow = day_start(today + timedelta(hours=26), zone)
    after = day_start(tomorrow + timedelta(hours=26), zone)
    current = slot_start(now)

    def render(inputs: cache.Inputs) -> bytes:
        found = priced(session, feed=feed, versions=inputs.versions, start=today, end=after)
        return _render(found, zone=zone, tomorrow=tomorrow, current=current)

    # The window is the same all day and the current price moves once a quarter hour: polls
    # within one are the same body.
    return cache.body(
        session, feed=feed, kind="homeassistant", window=(today, current), render=render
    )


def _render(found: Priced, *, zone: ZoneInfo, tomorrow: datetime, current: datetime) -> bytes:
    today_slots = [s for s in found.slots if s.start < tomorrow]
    tomorrow_slots = [s for s in found.slots if s.start >= tomorrow]
    tomorrow_valid = bool(tomorrow_slots) and all(s.confidence == 1 for s in tomorrow_slots)
    if not tomorrow_valid:
        tomorrow_slots = []
    now_price = next((s.value for s in today_slots if s.start <= current < s.end), None)
    currency = found.head["currency_code"]
    stats = _stats(today_slots)
    answer: dict[str, Any] = {
        "current_price": now_price,
        "unit": "kWh",
        "currency": currency,
        "unit_of_measurement": f"{currency}/kWh",
        "min": stats["min"],
        "max": stats["max"],
        "mean": stats["mean"],
        "average": stats["mean"],
        "today": [s.value for s in today_slots],
        "tomorrow": [s.value for s in tomorrow_slots],
        "raw_today": _raw(today_slots, zone),
        "raw_tomorrow": _raw(tomorrow_slots, zone),
        "tomorrow_valid": tomorrow_valid,
        "location_id": found.head["location_id"],
        "location_timezone": found.head["location_timezone"],
        "last_updated": found.head["last_updated"],
    }
    return orjson.dumps(answer, option=orjson.OPT_OMIT_MICROSECONDS)


def _raw(slots: list[Slot], zone: ZoneInfo) -> list[dict[str, Any]]:
    # Local times with their offset (`2026-10-25T01:00:00+00:00`), written by orjson.
    return [
        {"start": s.start.astimezone(zone), "end": s.end.astimezone(zone), "value": s.value}
        for s in slots
    ]


def _stats(slots: list[Slot]) -> dict[str, float | None]:
    """The day's lowest, highest and time-weighted mean price (slots cut at a tariff boundary
    are shorter, so a plain mean of the values would weigh them wrongly)."""
    if not slots:
        return {"min": None, "max": None, "mean": None}
    seconds = sum((s.end - s.start).total_seconds() for s in slots)
    weighted = sum(Decimal(str(s.value)) * int((s.end - s.start).total_seconds()) for s in slots)
    mean = (weighted / Decimal(int(seconds))).quantize(_QUANTUM, ROUND_HALF_UP)
    return {
        "min": min(s.value for s in slots),
        "max": max(s.value for s in slots),
        "mean": float(mean),
    }
