"""Every feed by its name in market_sources.json, opened on one shared HTTP client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import Feed
from tariffconnect.market.feeds.ecb import EcbRates
from tariffconnect.market.feeds.elexon import ElexonFeed
from tariffconnect.market.feeds.energy_charts import EnergyChartsFeed
from tariffconnect.market.feeds.entsoe import EntsoeFeed
from tariffconnect.market.feeds.http import new_client
from tariffconnect.market.feeds.octopus import OctopusAgileFeed
from tariffconnect.market.ingest import Rates

FEED_TYPES: dict[str, type[Feed]] = {
    feed.name: feed for feed in (EnergyChartsFeed, EntsoeFeed, OctopusAgileFeed, ElexonFeed)
}


@dataclass(frozen=True, slots=True)
class OpenFeeds:
    feeds: Mapping[str, Feed]
    rates: Rates


@contextmanager
def open_feeds(settings: Settings) -> Iterator[OpenFeeds]:
    """The feeds and the exchange rates, sharing one client (closed when the block ends)."""
    with new_client(timeout=settings.market_feed_timeout_seconds) as client:
        feeds = {name: kind(settings, client) for name, kind in FEED_TYPES.items()}
        yield OpenFeeds(feeds, EcbRates(settings, client))
