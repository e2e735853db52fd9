"""Rendered feed bodies, kept per process.

evcc, Home Assistant and calendar apps poll the same feed every few minutes, and between two
changes of its inputs a feed's body is the same bytes: the location (zone, calendar), its
connected tariffs as last updated, the versions of the market sources they follow, and the
feed's window (which moves once a quarter hour, or once a day). The token's own statement
reads those inputs on every request (`tokens.resolve`, `Feed.follows`), and the body is
looked up by all of them together, as prices/cache.py keeps /prices' series: a change to any
input is another key, so a new tariff or a new market day shows on the next poll, and
nothing needs invalidating. A miss prices the window the one way there is (`prices.service`)
and renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tariffconnect.feeds.tokens import Feed
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.market import store
from tariffconnect.prices import service as prices
from tariffconnect.prices.cache import SeriesCache
from tariffconnect.tariffs.models import Tariff

BODIES = SeriesCache(max_bytes=16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a feed's prices follow: the location, its import tariffs and their market
    versions, loaded to render a miss."""

    location: Location
    priced: list[Tariff]
    versions: dict[str, store.Version]


def body(
    session: Session,
    *,
    feed: Feed,
    kind: str,
    window: tuple[Hashable, ...],
    render: Callable[[Inputs], bytes],
) -> bytes:
    """The feed's body for `window` (whatever else it depends on: the current quarter hour,
    `?hours`), from the cache or `render`ed and kept; 422 `no_tariff_connected` first."""
    key = (kind, feed.location_id, feed.follows, *window)
    found = BODIES.get(key) if feed.has_tariff else None  # none: priced_tariffs says so below
    if found is None:
        location = locations.get_or_raise(session, scope=feed.scope, location_id=feed.location_id)
        priced = prices.priced_tariffs(session, location=location, direction="IMPORT")
        versions = prices.market_versions(session, priced)
        found = render(Inputs(location=location, priced=priced, versions=versions))
        BODIES.put(key, found)
    return found
