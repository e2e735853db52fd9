"""What every feed module provides, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Protocol

import httpx

from tariffconnect.config import Settings
from tariffconnect.market.sources import MarketSource


@dataclass(frozen=True, slots=True)
class PricePoint:
    """One published price: from `start` (aware, UTC) for `minutes` (15, 30 or 60, as
    published; never resampled), `value` in `currency` per kWh as the feed gives it (the store
    rounds to 5 decimals)."""

    start: datetime
    minutes: int
    value: Decimal
    currency: str


class FeedError(Exception):
    """The feed failed, or answered something unusable. The message is the reason shown in
    `tariffconnect market status` and logged; it never holds a secret (no token, no URL with
    one)."""


class FeedRefused(FeedError):
    """The feed answered an HTTP error status that retrying does not change."""

    def __init__(self, feed: str, status: int) -> None:
        super().__init__(f"{feed}: HTTP {status}")
        self.status = status


class FeedOff(FeedError):
    """The feed is not configured here (for example ENTSO-E without a security token)."""


class Feed(Protocol):
    """A feed client. `fetch` returns every price it has for `source` with a start in
    [start, end), or raises FeedError (nothing found is an empty list, not an error)."""

    name: ClassVar[str]  # as listed in market_sources.json: "ENTSOE", "OCTOPUS", ...

    def __init__(self, settings: Settings, client: httpx.Client) -> None: ...

    def covers(self, source: MarketSource) -> bool:
        """Whether this feed publishes `source`'s series at all."""

    def fetch(self, source: MarketSource, *, start: datetime, end: datetime) -> list[PricePoint]:
        """The prices of `source` starting in [start, end) (aware datetimes, UTC)."""
