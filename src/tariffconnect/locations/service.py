"""Locations: create, read, update, delete and list, always inside the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import (
    Scope,
    get_owned,
    joined_ids,
    owned_read,
    owned_row,
    owns,
    scoped,
)
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.customers import service as customers
from tariffconnect.devices.models import device_locations
from tariffconnect.events import service as events
from tariffconnect.locations import address, direct_status, geo
from tariffconnect.locations.models import Location
from tariffconnect.locations.schemas import (
    LocationCreate,
    LocationOut,
    LocationUpdate,
    MarketSources,
    PostalAddressIn,
    PostalAddressOut,
    TariffStatus,
)
from tariffconnect.market import sources as market
from tariffconnect.tariffs.models import CONNECTED, Tariff


@dataclass(slots=True)
class TariffSummary:
    """What a location shows of its tariffs: `tariff_status` and `tariff_elements`."""

    status: TariffStatus = field(default_factory=TariffStatus)
    elements: list[dict[str, Any]] = field(default_factory=list)


def get(session: Session, *, scope: Scope, location_id: str) -> Location | None:
    """The caller's location with this id, or None."""
    return get_owned(session, Location, scope, location_id, prefix="loc")


def get_or_raise(session: Session, *, scope: Scope, location_id: str) -> Location:
    """The caller's location with this id, or 404 `location_not_found`."""
    location = get(session, scope=scope, location_id=location_id)
    if location is None:
        raise _not_found(location_id)
    return location


def check_exists(session: Session, *, scope: Scope, location_id: str) -> None:
    """404 `location_not_found` unless the caller has this location (nothing loaded)."""
    if not owns(session, Location, scope, location_id, prefix="loc"):
        raise _not_found(location_id)


def scope_of(session: Session, *, location_id: str) -> Scope:
    """The account and mode of a location named by its id alone, as the operator's commands
    name it (ids are unique across accounts); 404 `location_not_found`."""
    found = None
    if is_valid_id(location_id, "loc"):
        query = select(Location.account_id, Location.live_mode).where(Location.id == location_id)
        found = session.execute(query).one_or_none()
    if found is None:
        raise _not_found(location_id)
    return Scope(account_id=found.account_id, live_mode=found.live_mode)


def _not_found(location_id: str) -> ApiError:
    return not_found("location_not_found", f"No location {location_id}.")


def get_by_reference_id(session: Session, *, scope: Scope, reference_id: str) -> Location | None:
    """The caller's oldest location with this reference_id, or None."""
    query = scoped(select(Location), Location, scope).where(Location.reference_id == reference_id)
    return session.scalars(query.order_by(Location.id).limit(1)).first()


def tariff_summary(session: Session, location_ids: Sequence[str]) -> dict[str, TariffSummary]:
    """Tariff status and elements of each location, for a whole page in one query."""
    found = {location_id: TariffSummary() for location_id in location_ids}
    if not found:
        return found
    rows = session.execute(
        select(
            Tariff.location_id,
            Tariff.id,
            Tariff.tariff_type,
            Tariff.tariff_direction,
            Tariff.provider_id,
            Tariff.connection_type,
        )
        .where(Tariff.location_id.in_(list(found)), Tariff.status == CONNECTED)
        .order_by(Tariff.id)
    )
    for location_id, tariff_id, tariff_type, direction, provider_id, connection_type in rows:
        _add_element(
            found[location_id], tariff_id, tariff_type, direction, provider_id, connection_type
        )
    for location_id, states in direct_status.states(session, list(found)).items():
        _apply_direct(found[location_id], states)
    return found


def _add_element(
    summary: TariffSummary,
    tariff_id: str,
    tariff_type: str,
    direction: str,
    provider_id: str | None,
    connection_type: str,
) -> None:
    setattr(summary.status, f"{tariff_type.lower()}_{direction.lower()}", CONNECTED)
    summary.elements.append(
        {
            "tariff_id": tariff_id,
            "status": CONNECTED,
            "type": tariff_type,
            "direction": direction,
            "provider_id": provider_id,
            "connection_type": connection_type,
        }
    )


# Busbar's consents of an element: what the customer let the app read. A DIRECT connection
# is consent to read the provider's tariff, and nothing else.
_NOT_CONSENTED = (
    "provider_bills",
    "provider_postal_address",
    "provider_grid_meter",
    "device_telemetry",
    "device_control",
)


def _apply_direct(summary: TariffSummary, states: Sequence[direct_status.ElementState]) -> None:
    """A DIRECT element's status (PENDING before its first tariff, ERROR once pulls have
    failed long enough) and its consents, over what the connected tariffs say."""
    for state in states:
        name = f"{state.tariff_type.lower()}_{state.tariff_direction.lower()}"
        current = getattr(summary.status, name)
        if state.status == direct_status.ERROR or (
            state.status == direct_status.PENDING and current != CONNECTED
        ):
            setattr(summary.status, name, state.status)
        for element in summary.elements:
            if (
                element["type"] == state.tariff_type
                and element["direction"] == state.tariff_direction
                and element["connection_type"] == "DIRECT"
            ):
                element["status"] = getattr(summary.status, name)
                element["consents"] = _consents(state.consent_given_at)


def _consents(given_at: datetime | None) -> dict[str, Any] | None:
    if given_at is None:
        return None
    return (
        {"provider_tariff": True}
        | dict.fromkeys(_NOT_CONSENTED, False)
        | {"time_created": format_utc(given_at)}
    )


def device_ids(session: Session, location_ids: Sequence[str]) -> dict[str, list[str]]:
    """Ids of the devices at each location, in one query."""
    found: dict[str, list[str]] = {location_id: [] for location_id in location_ids}
    if not found:
        return found
    links = device_locations.c
    rows = session.execute(
        select(links.location_id, links.device_id)
        .where(links.location_id.in_(list(found)))
        .order_by(links.device_id)
    )
    for location_id, device_id in rows:
        found[str(location_id)].append(str(device_id))
    return found


def render_all(session: Session, locations: Sequence[Location]) -> list[LocationOut]:
    """Wire forms of `locations`, with devices and tariffs loaded per page, not per row."""
    ids = [location.id for location in locations]
    devices = device_ids(session, ids)
    tariffs = tariff_summary(session, ids)
    return [_render_one(loc, devices[loc.id], tariffs[loc.id]) for loc in locations]


def render(session: Session, location: Location) -> LocationOut:
    return render_all(session, [location])[0]


# GET /locations/{id} in one statement (core/scoping.owned_read): its device ids, and its
# connected tariffs as "id|type|direction|provider|connection" texts (ids, enums and provider
# ids hold neither "|" nor ","), both aggregated in subqueries.
_TARIFF_ELEMENT = (
    Tariff.id
    + "|"
    + Tariff.tariff_type
    + "|"
    + Tariff.tariff_direction
    + "|"
    + func.coalesce(Tariff.provider_id, "")
    + "|"
    + Tariff.connection_type
)
_READ = owned_read(
    Location,
    select(func.aggregate_strings(device_locations.c.device_id, ","))
    .where(device_locations.c.location_id == Location.id)
    .scalar_subquery()
    .label("device_ids"),
    select(func.aggregate_strings(_TARIFF_ELEMENT, ","))
    .where(Tariff.location_id == Location.id, Tariff.status == CONNECTED)
    .scalar_subquery()
    .label("tariff_elements"),
)


_READ_WITH_DIRECT: list[Any] = []


def _read_statement() -> Any:
    """`_READ`, with the DIRECT elements once integrations has installed their reader."""
    direct = direct_status.column(Location.id)
    if direct is None:
        return _READ
    if not _READ_WITH_DIRECT:
        _READ_WITH_DIRECT.append(_READ.add_columns(direct))
    return _READ_WITH_DIRECT[0]


def read(session: Session, *, scope: Scope, location_id: str) -> LocationOut:
    """The caller's location as the API shows it, read in one statement; 404
    `location_not_found`."""
    row = owned_row(session, _read_statement(), scope, location_id, prefix="loc")
    if row is None:
        raise _not_found(location_id)
    summary = TariffSummary()
    for element in joined_ids(row.tariff_elements):  # in tariff id order, as tariff_summary
        tariff_id, tariff_type, direction, provider_id, connection_type = element.split("|")
        _add_element(
            summary, tariff_id, tariff_type, direction, provider_id or None, connection_type
        )
    if "direct_elements" in row._fields:
        _apply_direct(summary, direct_status.parse(location_id, row.direct_elements))
    return _render_one(row, joined_ids(row.device_ids), summary)


def _render_one(location: Any, devices: list[str], tariffs: TariffSummary) -> LocationOut:
    """The wire form of a location, from its row or its ORM object (the same attributes)."""
    return LocationOut(
        id=location.id,
        live_mode=location.live_mode,
        reference_id=location.reference_id,
        customer_id=location.customer_id,
        postal_address=PostalAddressOut(
            address_line1=location.address_line1,
            address_line2=location.address_line2,
            city=location.city,
            state=location.state,
            post_code=location.post_code,
            country_code=location.country_code,
        ),
        postal_address_verified=False,
        geo_location=geo.geo_location(location.city, location.timezone),
        timezone=location.timezone,
        currency_code=location.currency_code,
        market_sources=market_sources(location),
        tariff_status=tariffs.status,
        tariff_elements=tariffs.elements,
        devices=devices,
        time_created=format_utc(location.time_created),
        account_id=location.account_id,
    )


def market_sources(location: Location) -> MarketSources:
    """The sources a market tariff here follows, derived from the address on every read."""
    source = market.for_address(location.country_code, location.post_code, location.state)
    if source is None:
        return MarketSources(import_=None, export=None)
    return MarketSources(import_=source.id, export=None if market.is_retail(source) else source.id)


def create(session: Session, *, scope: Scope, data: LocationCreate) -> LocationOut:
    """Create a location and record `location.create`."""
    # The address is checked first: a malformed request is a 400 whatever the customer.
    checked = _checked_address(data.postal_address)
    customer_id = _own_customer_id(session, scope=scope, customer_id=data.customer_id)
    location = Location(
        id=new_id("loc"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        reference_id=data.reference_id,
        customer_id=customer_id,
    )
    _set_address(location, checked)
    session.add(location)
    session.flush()
    out = render(session, location)
    events.record(session, scope=scope, type="location.create", object_id=location.id, data=out)
    return out


def update(
    session: Session, *, scope: Scope, location_id: str, data: LocationUpdate
) -> LocationOut:
    """Apply the fields given (PATCH) and record `location.update`."""
    location = get_or_raise(session, scope=scope, location_id=location_id)
    given = data.model_fields_set
    if data.postal_address is not None:
        _set_address(location, _checked_address(data.postal_address))
    if "customer_id" in given:
        location.customer_id = _own_customer_id(session, scope=scope, customer_id=data.customer_id)
    if "reference_id" in given:
        location.reference_id = data.reference_id
    session.flush()
    out = render(session, location)
    events.record(session, scope=scope, type="location.update", object_id=location.id, data=out)
    return out


def delete(session: Session, *, scope: Scope, location_id: str) -> None:
    """Delete the location and record `location.delete`.

    Its connect sessions and device links go with it: their foreign keys are ON DELETE
    CASCADE, so the database removes them in this same statement.
    """
    location = get_or_raise(session, scope=scope, location_id=location_id)
    out = render(session, location)
    session.delete(location)
    session.flush()
    events.record(session, scope=scope, type="location.delete", object_id=location.id, data=out)


def list_(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    reference_id: str | None,
    customer_id: str | None,
) -> dict[str, Any]:
    """One page of the caller's locations, newest first."""
    query = scoped(select(Location), Location, scope)
    if reference_id is not None:
        query = query.where(Location.reference_id == reference_id)
    if customer_id is not None:
        query = query.where(Location.customer_id == customer_id)
    return paginate(
        session,
        query,
        Location.id,
        page,
        url="/locations",
        render=lambda rows: render_all(session, rows),
    )


def _checked_address(postal_address: PostalAddressIn) -> address.Address:
    return address.validate(**postal_address.model_dump())


def _set_address(location: Location, checked: address.Address) -> None:
    location.address_line1 = checked.address_line1
    location.address_line2 = checked.address_line2
    location.city = checked.city
    location.state = checked.state
    location.post_code = checked.post_code
    location.country_code = checked.country_code
    location.timezone = checked.timezone
    location.currency_code = checked.currency_code


def _own_customer_id(session: Session, *, scope: Scope, customer_id: str | None) -> str | None:
    """`customer_id` if it is the caller's customer (or None), else 404 `customer_not_found`."""
    if customer_id is None:
        return None
    if not is_valid_id(customer_id, "cus"):
        # Not an id shape, so it cannot exist: no need to ask the database.
        raise not_found("customer_not_found", f"No customer {customer_id}.")
    return customers.get_or_raise(session, scope=scope, customer_id=customer_id).id
