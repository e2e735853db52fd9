"""A location's prices as 15-minute slots: what the evcc and Home Assistant feeds publish.

The series is /prices' own (`prices.service.price_body`, its `data` array served from the
per-process series cache), cut on the quarter-hour grid: evcc plans in 15-minute slots and
Home Assistant's price consumers expect regular slots, while a fixed or time-of-day tariff's
own intervals can last hours. A boundary of the tariff's that falls between quarter hours is
kept (both slots around it are shorter), so no slot mixes two prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.feeds.tokens import Feed
from tariffconnect.market import store
from tariffconnect.prices import service as prices
from tariffconnect.prices.schemas import PriceWindow

SLOT = timedelta(minutes=15)
_SLOT_SECONDS = int(SLOT.total_seconds())


class Slot(NamedTuple):
    """A price from `start` to `end` (UTC, half-open), in major currency units per kWh.
    (A tuple: a feed makes a couple of hundred per request, and a frozen dataclass is slower
    to build.)"""

    start: datetime
    end: datetime
    value: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Priced:
    """The /prices answer's head (currency, zone, updates) and its series as slots."""

    head: dict[str, Any]
    slots: list[Slot]


def slot_start(moment: datetime) -> datetime:
    """The start of the quarter hour `moment` lies in (UTC). Every zone's offset is a whole
    number of quarter hours, so this is the local quarter hour too."""
    seconds = int(moment.timestamp()) // _SLOT_SECONDS * _SLOT_SECONDS
    return datetime.fromtimestamp(seconds, UTC)


def priced(
    session: Session,
    *,
    feed: Feed,
    versions: dict[str, store.Version],
    start: datetime,
    end: datetime,
) -> Priced:
    """The feed's location's import prices over [start, end) (UTC), as slots.

    Where the market prices run out before `end` and nothing forecasts past them (a source
    with no history yet), up to where they stop: home-energy software takes the hours there
    are, as Nord Pool's sensor has no tomorrow until it is published. `versions` are the
    market sources' (their `published_until`); 422 `no_price_data` when even that is not
    priced."""
    try:
        return _priced(session, feed, start, end)
    except ApiError as error:
        horizon = min((v.published_until for v in versions.values()), default=None)
        if error.code != "no_price_data" or horizon is None or not start < horizon < end:
            raise
    return _priced(session, feed, start, horizon)


def _priced(session: Session, feed: Feed, start: datetime, end: datetime) -> Priced:
    body = orjson.loads(
        prices.price_body(
            session,
            scope=feed.scope,
            location_id=feed.location_id,
            device_id=None,
            window=PriceWindow(start_time=start, end_time=end, tariff_direction="IMPORT"),
        )
    )
    return Priced(head=body, slots=cut(body.pop("data")))


def cut(data: list[dict[str, Any]]) -> list[Slot]:
    """/prices' `data` items cut on the quarter-hour grid."""
    slots: list[Slot] = []
    for item in data:
        start = datetime.fromisoformat(item["valid_from"])
        end = datetime.fromisoformat(item["valid_to"])
        value, confidence = item["price"]["value"], item["price"]["confidence"]
        if end - start == SLOT and start.minute % 15 == 0 and start.second == 0:
            slots.append(Slot(start, end, value, confidence))  # a market quarter hour
            continue
        while start < end:
            boundary = min(slot_start(start) + SLOT, end)
            slots.append(Slot(start, boundary, value, confidence))
            start = boundary
    return slots
