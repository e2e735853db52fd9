"""Rendered feed bodies, kept per process.

evcc, Home Assistant and calendar apps poll the same feed every few minutes, and between two
changes of its inputs a feed's body is the same bytes: the location (zone, calendar), its
connected tariffs as last updated, the versions of the market sources they follow, and the
feed's window (which moves once a quarter hour, or once a day). Those inputs are read on
every request (two indexed reads after the token's), and the body is looked up by all of them
together, as prices/cache.py keeps /prices' series: a change to any input is another key, so
a new tariff or a new market day shows on the next poll, and nothing needs invalidating. A
miss prices the window the one way there is (`prices.service`) and renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.feeds.tokens import Feed
from tariffconnect.market import store
from tariffconnect.prices import service as prices
from tariffconnect.prices.cache import SeriesCache
from tariffconnect.tariffs.models import Tariff

BODIES = SeriesCache(max_bytes=16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a feed's prices follow: the location's import tariffs and their market versions."""

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
    location = feed.location
    priced = prices.priced_tariffs(session, location=location, direction="IMPORT")
    versions = prices.market_versions(session, priced)
    key = (
        kind,
        location.id,
        location.timezone,
        location.country_code,
        location.state,
        location.currency_code,
        tuple((t.id, as_utc(t.time_updated)) for t in priced),
        tuple(sorted((source_id, v.token) for source_id, v in versions.items())),
        *window,
    )
    found = BODIES.get(key)
    if found is None:
        found = render(Inputs(priced=priced, versions=versions))
        BODIES.put(key, found)
    return found
