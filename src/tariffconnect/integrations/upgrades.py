"""`tariff.connection.upgrade`: a location on a MANUAL or LIBRARY tariff whose provider can
now be connected DIRECT (a module bound, or a built-in adapter) is told so, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.events import service as events
from tariffconnect.integrations import bindings
from tariffconnect.integrations.models import ConnectionUpgrade
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED, Tariff

UPGRADABLE = ("MANUAL", "LIBRARY")
EVENT = "tariff.connection.upgrade"


def scan(session: Session, *, now: datetime, provider_id: str | None = None) -> int:
    """Record the event for every location not yet told (of one provider when given); how many.

    The event's object is the location's connected tariff of that provider (the first by id
    when it has several), so an app sees which tariff it may now connect DIRECT."""
    told = select(ConnectionUpgrade.location_id).where(
        ConnectionUpgrade.location_id == Tariff.location_id,
        ConnectionUpgrade.provider_id == Tariff.provider_id,
    )
    query = (
        select(Tariff)
        .where(
            Tariff.status == CONNECTED,
            Tariff.connection_type.in_(UPGRADABLE),
            Tariff.provider_id.is_not(None),
            ~told.exists(),
        )
        .order_by(Tariff.id)
    )
    if provider_id is not None:
        query = query.where(Tariff.provider_id == provider_id)
    routes: dict[tuple[str, bool], bool] = {}
    seen: set[tuple[str, str]] = set()
    found: list[Tariff] = []
    for tariff in session.scalars(query):
        assert tariff.provider_id is not None  # the query's condition
        key = (tariff.location_id, tariff.provider_id)
        if key in seen:
            continue
        route = (tariff.provider_id, tariff.live_mode)
        if route not in routes:
            routes[route] = (
                bindings.direct_route(session, tariff.provider_id, live_mode=tariff.live_mode)
                is not None
            )
        if routes[route]:
            seen.add(key)
            found.append(tariff)
    for tariff in found:
        assert tariff.provider_id is not None
        session.add(
            ConnectionUpgrade(
                location_id=tariff.location_id, provider_id=tariff.provider_id, time_created=now
            )
        )
    events.record_many(
        session,
        [
            events.NewEvent(
                scope=Scope(account_id=tariff.account_id, live_mode=tariff.live_mode),
                type=EVENT,
                object_id=tariff.id,
                data=tariffs.render(tariff),
            )
            for tariff in found
        ],
    )
    return len(found)
