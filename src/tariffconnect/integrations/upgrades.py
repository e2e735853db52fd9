"""`tariff.connection.upgrade`: a location on a MANUAL or LIBRARY tariff whose provider can
now be connected DIRECT (a module bound, or a built-in adapter) is told so, once."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.events import service as events
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.models import AuthModule, ConnectionUpgrade
from tariffconnect.providers import catalogue
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED, Tariff

UPGRADABLE = ("MANUAL", "LIBRARY")
EVENT = "tariff.connection.upgrade"


@cache
def adapter_providers(*, live_mode: bool) -> tuple[str, ...]:
    """The providers (of the catalogue, and the sandbox) that a built-in adapter serves."""
    candidates = [SANDBOX_PROVIDER_ID, *(p.id for p in catalogue.all_providers())]
    return tuple(sorted({p for p in candidates if adapter_for(p, live_mode=live_mode)}))


def _routable() -> ColumnElement[bool]:
    """The tariffs whose provider has a DIRECT route: a bound module (a binding wins, in every
    mode) or a built-in adapter of the tariff's mode; the rest are never read."""
    return or_(
        Tariff.provider_id.in_(select(AuthModule.provider_id)),
        *(
            and_(Tariff.live_mode.is_(live), Tariff.provider_id.in_(ids))
            for live in (False, True)
            if (ids := adapter_providers(live_mode=live))
        ),
    )


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
    seen: set[tuple[str, str]] = set()
    found: list[Tariff] = []
    for tariff in session.scalars(query.where(_routable())):
        assert tariff.provider_id is not None  # the query's condition
        key = (tariff.location_id, tariff.provider_id)
        if key not in seen:
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
