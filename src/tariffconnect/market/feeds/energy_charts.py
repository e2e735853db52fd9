"""Energy-Charts (Fraunhofer ISE): day-ahead prices from its public `/price` endpoint.

The answer is `{"license_info", "unix_seconds": [int], "price": [float|null], "unit",
"deprecated"}`, one price per start in EUR/MWh for every zone (DK1, PL, SE4 included); a null
is a price not known (yet), and a 404 means no prices for that zone and range.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import ClassVar

import httpx

from tariffconnect.config import Settings
from tariffconnect.market.feeds import http
from tariffconnect.market.feeds.base import FeedError, FeedRefused, PricePoint
from tariffconnect.market.sources import MarketSource

NAME = "ENERGY_CHARTS"
CURRENCY = "EUR"

# The API serves more zones (ES, FI, SE1-3, NO1, ...), but its documentation licenses only
# these as CC BY 4.0 (from Bundesnetzagentur | SMARD.de); the others are "for private and
# internal use only", so this feed does not offer them. Spelled as the `bzn` parameter wants.
LICENSED_ZONES = frozenset(
    {
        "AT",
        "BE",
        "CH",
        "CZ",
        "DE-LU",
        "DE-AT-LU",
        "DK1",
        "DK2",
        "FR",
        "HU",
        "IT-North",
        "NL",
        "NO2",
        "PL",
        "SE4",
        "SI",
    }
)
INTERVAL_MINUTES = (15, 30, 60)


class EnergyChartsFeed:
    """Day-ahead prices from api.energy-charts.info (no key)."""

    name: ClassVar[str] = NAME

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self._settings = settings
        self._client = client

    def covers(self, source: MarketSource) -> bool:
        """Whether Energy-Charts publishes `source`'s zone under a licence we may use."""
        return source.bidding_zone in LICENSED_ZONES

    def fetch(self, source: MarketSource, *, start: datetime, end: datetime) -> list[PricePoint]:
        """The prices of `source` starting in [start, end), in EUR per kWh."""
        if not self.covers(source):
            raise FeedError(f"{NAME}: does not publish bidding zone {source.bidding_zone}")
        url = f"{self._settings.energy_charts_url.rstrip('/')}/price"
        params = {"bzn": source.bidding_zone, "start": _iso_minute(start), "end": _iso_minute(end)}
        try:
            response = http.get(self._client, url, params=params, expect="json", feed=NAME)
        except FeedRefused as error:
            if error.status == 404:  # documented: no prices for that zone and range
                return []
            raise
        points = parse_prices(response.content, lone_minutes=source.resolution_minutes)
        return [point for point in points if start <= point.start < end]


def parse_prices(content: bytes, *, lone_minutes: int) -> list[PricePoint]:
    """The known prices in a `/price` answer; a lone price lasts `lone_minutes`."""
    try:
        # Decimal straight from the JSON text: 73.24 stays 73.24, not a binary fraction.
        data = json.loads(content, parse_float=Decimal)
    except ValueError:
        raise FeedError(f"{NAME}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise FeedError(f"{NAME}: the answer is not a JSON object")
    _check_unit(data.get("unit"))
    starts = _unix_seconds(data.get("unix_seconds"))
    prices = _prices(data.get("price"), len(starts))
    minutes = _interval_minutes(starts) if len(starts) > 1 else lone_minutes
    return [
        PricePoint(datetime.fromtimestamp(second, UTC), minutes, price.scaleb(-3), CURRENCY)
        for second, price in zip(starts, prices, strict=True)
        if price is not None  # unknown, not zero
    ]


def _check_unit(unit: object) -> None:
    # Documented as "EUR / MWh"; spacing and case are not worth a failure.
    if not isinstance(unit, str) or "".join(unit.split()).upper() != "EUR/MWH":
        raise FeedError(f"{NAME}: prices in {unit!r}, not EUR / MWh")


def _unix_seconds(value: object) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(second, int) and not isinstance(second, bool) for second in value
    ):
        raise FeedError(f"{NAME}: unix_seconds is not a list of whole seconds")
    return value


def _prices(value: object, count: int) -> list[Decimal | None]:
    if not isinstance(value, list) or len(value) != count:
        raise FeedError(f"{NAME}: price is not a list as long as unix_seconds")
    prices: list[Decimal | None] = []
    for price in value:
        if price is None:
            prices.append(None)
        elif isinstance(price, Decimal | int) and not isinstance(price, bool):
            prices.append(Decimal(price))
        else:
            raise FeedError(f"{NAME}: price {price!r} is not a number")
    return prices


def _interval_minutes(starts: list[int]) -> int:
    # Nulls keep their timestamps, so the spacing holds over the whole series.
    steps = {later - earlier for earlier, later in pairwise(starts)}
    if len(steps) != 1:
        raise FeedError(f"{NAME}: irregular spacing of unix_seconds ({len(steps)} step sizes)")
    step = timedelta(seconds=steps.pop())
    minutes, rest = divmod(step, timedelta(minutes=1))
    if rest or minutes not in INTERVAL_MINUTES:
        raise FeedError(f"{NAME}: prices {step.total_seconds():.0f} s apart, not 15, 30 or 60 min")
    return int(minutes)


def _iso_minute(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Energy-Charts ranges need aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
