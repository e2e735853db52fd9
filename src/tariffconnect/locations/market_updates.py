"""New market prices tell apps to fetch prices again: one `location.update` event for each
location with a connected market-rate tariff on the source, in the transaction that stored the
prices (Flatpeak's signal to re-fetch), written in bulk: a source may have 100,000 followers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.events import service as events
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.market import store
from tariffconnect.tariffs.models import CONNECTED, Tariff

BATCH = 2000  # locations rendered and written per round of queries


def announce(session: Session, source_id: str) -> int:
    """Record `location.update` for every location following `source_id`; return how many."""
    following = (
        select(Tariff.location_id)
        .where(
            Tariff.market_source_id == source_id,
            Tariff.market_rates.is_(True),
            Tariff.status == CONNECTED,
        )
        .distinct()
    )
    ids = sorted(session.scalars(following))
    for chunk in (ids[i : i + BATCH] for i in range(0, len(ids), BATCH)):
        found = session.scalars(select(Location).where(Location.id.in_(chunk))).all()
        events.record_many(
            session,
            [
                events.NewEvent(
                    scope=Scope(account_id=location.account_id, live_mode=location.live_mode),
                    type="location.update",
                    object_id=location.id,
                    data=out,
                )
                for location, out in zip(found, locations.render_all(session, found), strict=True)
            ],
        )
    return len(ids)


def install() -> None:
    """Announce new prices from now on (called wherever prices may be stored)."""
    store.on_prices_changed(announce)
