"""Connect sessions: create, read and update, inside the caller's scope; and the one place
their status changes: CREATED (`create`), IN_PROGRESS (`begin`), COMPLETED (`complete`);
EXPIRED is derived from time_expiry when read (`status_of`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, select
from sqlalchemy.orm import Session

from tariffconnect.connect.models import ConnectSession
from tariffconnect.connect.schemas import (
    ConnectSessionCreate,
    ConnectSessionOut,
    ConnectSessionUpdate,
    RouteOptions,
)
from tariffconnect.core.errors import ApiError, invalid, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope, get_owned, owned_read, owned_row
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.devices import service as devices
from tariffconnect.events import service as events
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.providers import catalogue
from tariffconnect.tariffs.models import CONNECTED, Tariff

CREATED, IN_PROGRESS, COMPLETED, EXPIRED = "CREATED", "IN_PROGRESS", "COMPLETED", "EXPIRED"
REFERENCES = {"location_id", "device_id", "provider_id"}
ELEMENT = ("tariff_type", "tariff_direction")


def check_element(tariff_type: str, tariff_direction: str) -> None:
    """400 `tariff_direction_not_supported` for an element no tariff has (grid fees are
    paid, never earned: there is no NON_COMMODITY EXPORT)."""
    if (tariff_type, tariff_direction) == ("NON_COMMODITY", "EXPORT"):
        raise invalid(
            "tariff_direction_not_supported",
            "NON_COMMODITY tariffs (grid fees) are IMPORT only: there is no NON_COMMODITY EXPORT.",
        )


def route_options_of(options: dict[str, Any] | None) -> RouteOptions:
    """The session's `route_options` as stored in its options, each unset one at its default
    (a token stored null for "not given")."""
    stored = (options or {}).get("route_options") or {}
    return RouteOptions.model_validate({k: v for k, v in stored.items() if v is not None})


def get(session: Session, *, scope: Scope, session_id: str) -> ConnectSession | None:
    """The caller's Connect session with this id, or None."""
    return get_owned(session, ConnectSession, scope, session_id, prefix="cot")


def get_or_raise(session: Session, *, scope: Scope, session_id: str) -> ConnectSession:
    """The caller's Connect session, or 404 `connect_session_not_found`."""
    found = get(session, scope=scope, session_id=session_id)
    if found is None:
        raise not_found("connect_session_not_found", f"No Connect session {session_id}.")
    return found


def get_by_token(
    session: Session, *, connect_token: str, lock: bool = False
) -> ConnectSession | None:
    """The session a Connect token names, in any account: the token is the customer's
    authority in the flow, which has no bearer token. `lock` holds the row until commit."""
    found = load_by_token(session, connect_token=connect_token, lock=lock)
    return None if found is None else found[0]


def load_by_token(
    session: Session, *, connect_token: str, lock: bool = False
) -> tuple[ConnectSession, Location | None] | None:
    """`get_by_token` with the session's location (None for a session created without one),
    read in the same statement: each flow step needs both."""
    if not is_valid_id(connect_token, "cot"):
        return None
    query = (
        select(ConnectSession, Location)
        .outerjoin(Location, Location.id == ConnectSession.location_id)
        .where(ConnectSession.id == connect_token)
    )
    if lock:
        query = query.with_for_update(of=ConnectSession)
    row = session.execute(query).one_or_none()
    return None if row is None else (row[0], row[1])


def past_expiry(connect_session: ConnectSession, *, now: datetime) -> bool:
    """The session's link has run out (a completed session's too: it then shows only its
    summary)."""
    return as_utc(connect_session.time_expiry) <= now


def status_of(connect_session: ConnectSession, *, now: datetime | None = None) -> str:
    """The stored status, or EXPIRED once time_expiry has passed on an unfinished session."""
    return _status(connect_session.status, connect_session.time_expiry, now=now or utcnow())


def _status(stored: str, time_expiry: datetime, *, now: datetime) -> str:
    if stored != COMPLETED and as_utc(time_expiry) <= now:
        return EXPIRED
    return stored


def begin(*, connect_session: ConnectSession) -> None:
    """IN_PROGRESS once the customer is in the flow; a later status is kept."""
    if connect_session.status == CREATED:
        connect_session.status = IN_PROGRESS


def complete(session: Session, *, connect_session: ConnectSession, now: datetime) -> None:
    """COMPLETED with `connect_session.complete` the first time; a later change in the same
    session (EDIT, DISCONNECT) is a `connect_session.update`. In the caller's transaction,
    with the tariff change it completes."""
    first = connect_session.status != COMPLETED
    if first:
        connect_session.status = COMPLETED
        connect_session.time_completed = now
    session.flush()
    out = render(session, connect_session)
    kind = "connect_session.complete" if first else "connect_session.update"
    scope = Scope(connect_session.account_id, connect_session.live_mode)
    events.record(session, scope=scope, type=kind, object_id=connect_session.id, data=out)


def _element_connected(
    location_id: Any, tariff_type: Any, tariff_direction: Any, *, market: bool
) -> ColumnElement[bool]:
    """A connected tariff of this element at this location, a market one or a fixed one."""
    return and_(
        Tariff.location_id == location_id,
        Tariff.status == CONNECTED,
        Tariff.tariff_type == tariff_type,
        Tariff.tariff_direction == tariff_direction,
        Tariff.market_rates == market,
    )


def _availability(location_id: Any, tariff_type: Any, tariff_direction: Any) -> tuple[Any, Any]:
    """The two columns that decide `data_available`: whether a fixed schedule of the element
    is connected (prices at once), else the first connected market tariff's id."""
    fixed = exists().where(
        _element_connected(location_id, tariff_type, tariff_direction, market=False)
    )
    market = (
        select(Tariff.id)
        .where(_element_connected(location_id, tariff_type, tariff_direction, market=True))
        .order_by(Tariff.id)
        .limit(1)
        .scalar_subquery()
    )
    return fixed.label("fixed_connected"), market.label("market_tariff_id")


# GET /connect/{id} in one statement: the session's answer and what decides data_available.
# Built once with bound parameters: SQLAlchemy then reuses its compiled form and result map as
# they are (a statement built per request cost more CPU than the database took to answer it).
# The flow's state and the token's other options (JSON documents the answer does not show)
# stay out: of the options only `route_options` is read.
_READ = owned_read(
    ConnectSession,
    *_availability(
        ConnectSession.location_id, ConnectSession.tariff_type, ConnectSession.tariff_direction
    ),
    ConnectSession.options["route_options"].label("route_options"),
    leave_out=("flow", "options"),
)


# `data_available` of a session already loaded, built once (see _READ).
_AVAILABILITY = select(
    *_availability(
        bindparam("location_id"), bindparam("tariff_type"), bindparam("tariff_direction")
    )
)


def _available(
    session: Session,
    *,
    location_id: str | None,
    fixed_connected: bool,
    market_tariff_id: str | None,
) -> bool:
    """True when prices of the session's element exist now: at once for a fixed schedule, for
    a market tariff once its source has published prices or a forecast covers this moment.
    Derived on every read, never stale."""
    if location_id is None:
        return False
    if fixed_connected:
        return True
    if market_tariff_id is None:
        return False
    tariff = session.get(Tariff, market_tariff_id)
    location = session.get(Location, location_id)
    return (
        tariff is not None
        and location is not None
        and prices.available_now(session, location, tariff, utcnow())
    )


def data_available(session: Session, connect_session: ConnectSession) -> bool:
    """`data_available` of a session already loaded."""
    if connect_session.location_id is None:
        return False
    parameters = {
        "location_id": connect_session.location_id,
        "tariff_type": connect_session.tariff_type,
        "tariff_direction": connect_session.tariff_direction,
    }
    fixed, market = session.execute(_AVAILABILITY, parameters).one()
    return _available(
        session,
        location_id=connect_session.location_id,
        fixed_connected=bool(fixed),
        market_tariff_id=market,
    )


def read(session: Session, *, scope: Scope, session_id: str) -> ConnectSessionOut:
    """The caller's session as the API shows it, read in one statement; 404
    `connect_session_not_found`."""
    row = owned_row(session, _READ, scope, session_id, prefix="cot")
    if row is None:
        raise not_found("connect_session_not_found", f"No Connect session {session_id}.")
    available = _available(
        session,
        location_id=row.location_id,
        fixed_connected=bool(row.fixed_connected),
        market_tariff_id=row.market_tariff_id,
    )
    status = _status(row.status, row.time_expiry, now=utcnow())
    options = {"route_options": row.route_options}
    return _wire(row, data_available=available, status=status, options=options)


def render(session: Session, connect_session: ConnectSession) -> ConnectSessionOut:
    """The wire form of a session loaded (and maybe changed) in this transaction."""
    available = data_available(session, connect_session)
    return _wire(
        connect_session,
        data_available=available,
        status=status_of(connect_session),
        options=connect_session.options,
    )


def _wire(
    source: Any, *, data_available: bool, status: str, options: dict[str, Any] | None
) -> ConnectSessionOut:
    """The wire form of a session, from its row or its ORM object (the same attributes)."""
    return ConnectSessionOut(
        id=source.id,
        location_id=source.location_id,
        live_mode=source.live_mode,
        data_available=data_available,
        time_created=format_utc(source.time_created),
        time_expiry=format_utc(source.time_expiry),
        device_id=source.device_id,
        provider_id=source.provider_id,
        connect_url=source.connect_url,
        callback_url=source.callback_url,
        status=status,
        tariff_type=source.tariff_type,
        tariff_direction=source.tariff_direction,
        route_options=route_options_of(options),
    )


def create(
    session: Session, *, scope: Scope, data: ConnectSessionCreate, ttl_seconds: int
) -> ConnectSessionOut:
    """Create a session for one of the caller's locations and record `connect_session.create`.
    Its element and `route_options` are kept where a Connect token keeps them."""
    check_element(data.tariff_type, data.tariff_direction)
    check_references(session, scope, data.model_dump(include=REFERENCES))
    route_options = (data.route_options or RouteOptions()).model_dump()
    _created, out = add(
        session,
        scope=scope,
        ttl_seconds=ttl_seconds,
        options={"route_options": route_options},
        **data.model_dump(include=REFERENCES | set(ELEMENT) | {"connect_url", "callback_url"}),
    )
    return out


def add(
    session: Session, *, scope: Scope, ttl_seconds: int, **fields: Any
) -> tuple[ConnectSession, ConnectSessionOut]:
    """Store a new session (CREATED, expiring in `ttl_seconds`) with `fields`, and record
    `connect_session.create`; the caller checked what the fields name. The row and its wire
    form."""
    now = utcnow()
    connect_session = ConnectSession(
        id=new_id("cot"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        status=CREATED,
        time_expiry=now + timedelta(seconds=ttl_seconds),
        time_completed=None,
        **fields,
    )
    session.add(connect_session)
    session.flush()
    out = render(session, connect_session)
    events.record(session, scope=scope, type="connect_session.create", object_id=out.id, data=out)
    return connect_session, out


def update(
    session: Session, *, scope: Scope, session_id: str, data: ConnectSessionUpdate
) -> ConnectSessionOut:
    """Change a session that has not completed or expired; record `connect_session.update`.
    Its element (tariff_type, tariff_direction) cannot change once the customer started the
    flow (IN_PROGRESS): the pages they answered spoke of the element they began with."""
    connect_session = get_or_raise(session, scope=scope, session_id=session_id)
    status = status_of(connect_session)
    if status == COMPLETED:
        raise ApiError(422, "connect_session_completed", "A completed session cannot change.")
    if status == EXPIRED:
        raise ApiError(422, "connect_session_expired", "An expired session cannot change.")
    changes = data.model_dump(exclude_unset=True)
    for field in ("location_id", "connect_url", "callback_url", *ELEMENT, "route_options"):
        if field in changes and changes[field] is None:
            raise invalid(f"{field}_invalid", f"{field} cannot be null.")
    element = {name: changes.get(name, getattr(connect_session, name)) for name in ELEMENT}
    check_element(element["tariff_type"], element["tariff_direction"])
    moved = any(element[name] != getattr(connect_session, name) for name in ELEMENT)
    if moved and status == IN_PROGRESS:
        raise ApiError(
            422,
            "connect_session_in_progress",
            "The customer has started this session: its tariff_type and tariff_direction "
            "cannot change. Create a new session for another tariff element.",
        )
    check_references(session, scope, {k: v for k, v in changes.items() if k in REFERENCES})
    if data.route_options is not None:
        given = data.route_options.model_dump(exclude_unset=True)
        merged = route_options_of(connect_session.options).model_dump() | given
        connect_session.options = {**(connect_session.options or {}), "route_options": merged}
    for field, value in changes.items():
        if field != "route_options":
            setattr(connect_session, field, value)
    session.flush()
    out = render(session, connect_session)
    events.record(session, scope=scope, type="connect_session.update", object_id=out.id, data=out)
    return out


def check_references(
    session: Session,
    scope: Scope,
    changes: dict[str, str | None],
) -> None:
    """404 for any location, device or provider named in `changes` that the caller lacks."""
    if changes.get("location_id") is not None:
        locations.check_exists(session, scope=scope, location_id=str(changes["location_id"]))
    if changes.get("device_id") is not None:
        devices.check_exists(session, scope=scope, device_id=str(changes["device_id"]))
    if changes.get("provider_id") is not None:
        catalogue.get_or_raise(str(changes["provider_id"]))
