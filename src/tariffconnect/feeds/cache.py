"""Rendered feed bodies, kept per process.

evcc, Home Assistant and calendar apps poll the same feed every few minutes, and between two
changes of its inputs a feed's body is the same bytes: the location (zone, calendar), its
connected tariffs as last updated, the versions of the market sources they follow, and the
feed's window (which moves once a quarter hour, or once a day). The token's statement
brings the location; one more indexed read, on every request, brings the tariffs' update
times and the sources' version tokens, and the body is looked up by all of them together, as
prices/cache.py keeps /prices' series: a change to any input is another key, so a new tariff
or a new market day shows on the next poll, and nothing needs invalidating. A miss prices the
window the one way there is (`prices.service`) and renders it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import parameters_of, scoped_by_parameters
from tariffconnect.core.timeutil import as_utc
from tariffconnect.feeds.tokens import Feed
from tariffconnect.market import store
from tariffconnect.market.models import MarketSourceVersion
from tariffconnect.prices import service as prices
from tariffconnect.prices.cache import SeriesCache
from tariffconnect.tariffs.models import CONNECTED, Tariff

BODIES = SeriesCache(max_bytes=16 * 1024 * 1024)
# The location's connected import tariffs (those /prices sums) as last updated, and the
# version of the market source each follows; built once, it runs on every feed request.
_STATE = scoped_by_parameters(
    select(Tariff.id, Tariff.time_updated, MarketSourceVersion.token)
    .outerjoin(
        MarketSourceVersion,
        and_(
            Tariff.market_rates.is_(True),
            MarketSourceVersion.source_id == Tariff.market_source_id,
        ),
    )
    .where(
        Tariff.location_id == bindparam("location_id"),
        Tariff.status == CONNECTED,
        Tariff.tariff_direction == "IMPORT",
    )
    .order_by(Tariff.id),
    Tariff,
)


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
    parameters = {"location_id": location.id, **parameters_of(feed.scope)}
    state = tuple(
        (tariff_id, as_utc(updated), token)
        for tariff_id, updated, token in session.execute(_STATE, parameters)
    )
    key = (
        kind,
        location.id,
        location.timezone,
        location.country_code,
        location.state,
        location.currency_code,
        state,
        *window,
    )
    found = BODIES.get(key) if state else None  # no tariff: priced_tariffs says so below
    if found is None:
        priced = prices.priced_tariffs(session, location=location, direction="IMPORT")
        found = render(Inputs(priced=priced, versions=prices.market_versions(session, priced)))
        BODIES.put(key, found)
    return found
