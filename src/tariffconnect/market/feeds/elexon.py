"""Elexon Insights (BMRS) Market Index Data: the half-hourly GB short-term wholesale price that
the APX (EPEX) exchange reports for each settlement period, in GBP/MWh. One series for all of
Great Britain, so it covers every GB regional source alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import FeedError, PricePoint
from tariffconnect.market.feeds.http import get
from tariffconnect.market.sources import MarketSource

NAME = "ELEXON"
CURRENCY = "GBP"
PROVIDER = "APXMIDP"  # APX (EPEX SPOT UK) alone: a series never mixes two exchanges' indices
PATH = "/balancing/pricing/market-index"
SLOT = timedelta(minutes=30)
# The endpoint's widest window is not documented; an open-source client keeps to 7 days after
# seeing 400s for wider ones. A week per request stays inside that.
WINDOW = timedelta(days=7)
KWH_PER_MWH = 1000


class ElexonFeed:
    """Market Index Data from APX, per settlement period, in GBP/kWh."""

    name: ClassVar[str] = NAME

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self._url = settings.elexon_url.rstrip("/") + PATH
        self._client = client

    def covers(self, source: MarketSource) -> bool:
        """Whether `source` is in Great Britain (the index is national)."""
        return source.country_code == "GB"

    def fetch(self, source: MarketSource, *, start: datetime, end: datetime) -> list[PricePoint]:
        """The market index prices starting in [start, end)."""
        if not self.covers(source):
            raise FeedError(f"{NAME}: {source.slug} is not in Great Britain")
        points: list[PricePoint] = []
        for window_start, window_end in windows(start, end):
            points += self._window(window_start, window_end)
        return points

    def _window(self, start: datetime, end: datetime) -> list[PricePoint]:
        # `from` and `to` both include a period starting on them; the one at `end` is dropped
        # below, so consecutive windows do not repeat it.
        params = {"from": _iso(start), "to": _iso(end), "dataProviders": PROVIDER, "format": "json"}
        response = get(self._client, self._url, params=params, expect="json", feed=NAME)
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise FeedError(f"{NAME}: the answer is not JSON") from None
        rows = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise FeedError(f"{NAME}: the answer has no list of data")
        return [p for p in market_index(rows) if start <= p.start < end]


def windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of at most WINDOW."""
    while start < end:
        stop = min(start + WINDOW, end)
        yield start, stop
        start = stop


def market_index(rows: list[dict[str, Any]]) -> list[PricePoint]:
    """APX's priced periods as PricePoints in GBP/kWh, sorted; periods without trades left out."""
    points: dict[datetime, PricePoint] = {}
    for row in rows:
        if row.get("dataProvider") != PROVIDER:
            continue  # another exchange's index, should the filter not be applied
        start = _start(row.get("startTime"))
        price, volume = _number(row, "price", start), _number(row, "volume", start)
        if volume == 0:
            # Nothing traded: the price is a default (0 when no data came), not a price.
            continue
        if start in points:
            raise FeedError(f"{NAME}: two prices for the period at {_iso(start)}")
        value = price / KWH_PER_MWH
        points[start] = PricePoint(start=start, minutes=30, value=value, currency=CURRENCY)
    return [points[start] for start in sorted(points)]


def _start(value: object) -> datetime:
    try:
        start = datetime.fromisoformat(str(value))
    except ValueError:
        raise FeedError(f"{NAME}: startTime {value!r} is not a time") from None
    if start.tzinfo is None:
        raise FeedError(f"{NAME}: startTime {value!r} has no time zone")
    start = start.astimezone(UTC)
    if start.minute % 30 or start.second or start.microsecond:
        raise FeedError(f"{NAME}: startTime {value!r} does not begin a settlement period")
    return start


def _number(row: dict[str, Any], field: str, start: datetime) -> Decimal:
    value = row.get(field)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise FeedError(f"{NAME}: {field} at {_iso(start)} is not a number")
    number = Decimal(value)
    if not number.is_finite():
        raise FeedError(f"{NAME}: {field} at {_iso(start)} is not a number")
    return number


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
