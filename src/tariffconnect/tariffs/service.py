"""Tariffs: create (replacing the connected one), read, update, delete and list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, invalid, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, get_owned, owned_read, owned_row, scoped
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.events import service as events
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.providers import catalogue
from tariffconnect.tariffs.models import CONNECTED, REPLACED, Tariff
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule
from tariffconnect.tariffs.schemas import StandingCharge, TariffCreate, TariffOut, TariffUpdate

# Connection types whose tariff follows an outside source: the library's syncs, a provider.
LINKED = frozenset({"LIBRARY", "DIRECT"})

# (session, scope, location_id, tariff_direction, tariff_type) of an element whose tariff the
# app created or deleted itself: integrations (a room above) registers the removal of the
# element's DIRECT connection at start-up (tariffconnect/hooks.py), so no pull undoes the change.
ElementChanged = Callable[[Session, Scope, str, str, str], None]
_element_hooks: list[ElementChanged] = []


def on_element_changed(hook: ElementChanged) -> None:
    """Register a hook for tariffs the app changes itself (idempotent)."""
    if hook not in _element_hooks:
        _element_hooks.append(hook)


def _element_changed(session: Session, scope: Scope, tariff: Tariff) -> None:
    for hook in _element_hooks:
        hook(session, scope, tariff.location_id, tariff.tariff_direction, tariff.tariff_type)


def get(session: Session, *, scope: Scope, tariff_id: str) -> Tariff | None:
    """The caller's tariff with this id, or None."""
    return get_owned(session, Tariff, scope, tariff_id, prefix="trf")


def get_or_raise(session: Session, *, scope: Scope, tariff_id: str) -> Tariff:
    """The caller's tariff, or 404 `tariff_not_found`."""
    tariff = get(session, scope=scope, tariff_id=tariff_id)
    if tariff is None:
        raise _not_found(tariff_id)
    return tariff


def _not_found(tariff_id: str) -> ApiError:
    return not_found("tariff_not_found", f"No tariff {tariff_id}.")


# GET /tariffs/{id} in one statement (core/scoping.owned_read).
_READ = owned_read(Tariff)


def read(session: Session, *, scope: Scope, tariff_id: str) -> TariffOut:
    """The caller's tariff as the API shows it, read in one statement; 404 `tariff_not_found`."""
    row = owned_row(session, _READ, scope, tariff_id, prefix="trf")
    if row is None:
        raise _not_found(tariff_id)
    return render(row)


def render(tariff: Any) -> TariffOut:
    """The wire form of a tariff, from its row or its ORM object (the same attributes)."""
    charge = tariff.standing_charge
    return TariffOut(
        id=tariff.id,
        live_mode=tariff.live_mode,
        location_id=tariff.location_id,
        tariff_direction=tariff.tariff_direction,
        tariff_type=tariff.tariff_type,
        connection_type=tariff.connection_type,
        is_linked=tariff.connection_type in LINKED,
        status=tariff.status,
        display_name=tariff.display_name,
        provider_id=tariff.provider_id,
        market_rates=tariff.market_rates,
        market_source_id=tariff.market_source_id,
        timezone=tariff.timezone,
        contract_start_date=_format(tariff.contract_start_date),
        contract_end_date=_format(tariff.contract_end_date),
        schedule=tariff.schedule,
        standing_charge=None if charge is None else StandingCharge(value=charge),
        tier_period=tariff.tier_period,
        time_created=format_utc(tariff.time_created),
        time_updated=format_utc(tariff.time_updated),
        account_id=tariff.account_id,
    )


def create(
    session: Session, *, scope: Scope, data: TariffCreate, connection_type: str = "MANUAL"
) -> TariffOut:
    """Connect a tariff to a location; the one it replaces is kept as REPLACED."""
    location = locations.get_or_raise(session, scope=scope, location_id=data.location_id)
    if data.tariff_type == "NON_COMMODITY" and data.tariff_direction == "EXPORT":
        raise invalid("tariff_type_not_supported", "NON_COMMODITY tariffs exist for IMPORT only.")
    if data.provider_id is not None:
        catalogue.get_or_raise(data.provider_id)
    _check_market(data.market_rates, data.market_source_id)
    _check_contract(data.contract_start_date, data.contract_end_date)
    validate_schedule(data.schedule, market_rates=data.market_rates)
    now = utcnow()
    for old in connected(session, location_ids=[location.id]):
        if (old.tariff_direction, old.tariff_type) == (data.tariff_direction, data.tariff_type):
            old.status, old.time_updated, old.time_replaced = REPLACED, now, now
            events.record(
                session, scope=scope, type="tariff.update", object_id=old.id, data=render(old)
            )
    tariff = Tariff(
        id=new_id("trf"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        time_updated=now,
        location_id=location.id,
        tariff_direction=data.tariff_direction,
        tariff_type=data.tariff_type,
        connection_type=connection_type,
        status=CONNECTED,
        display_name=data.display_name,
        provider_id=data.provider_id,
        market_rates=data.market_rates,
        market_source_id=data.market_source_id,
        timezone=location.timezone,
        contract_start_date=data.contract_start_date or now,
        contract_end_date=data.contract_end_date,
        schedule=_stored(data.schedule),
        standing_charge=data.standing_charge.value if data.standing_charge else None,
        tier_period=data.tier_period,
    )
    session.add(tariff)
    session.flush()
    out = render(tariff)
    events.record(session, scope=scope, type="tariff.create", object_id=tariff.id, data=out)
    if connection_type != "DIRECT":  # the pull's own tariff keeps its connection
        _element_changed(session, scope, tariff)
    _location_changed(session, scope, location)
    return out


def update(session: Session, *, scope: Scope, tariff_id: str, data: TariffUpdate) -> TariffOut:
    """Change the fields given; a new schedule is validated as on creation."""
    tariff = get_or_raise(session, scope=scope, tariff_id=tariff_id)
    if tariff.connection_type == "DIRECT":
        # The provider's answer is the tariff: an edit would be overwritten by the next pull.
        raise ApiError(
            409,
            "tariff_not_editable",
            f"Tariff {tariff_id} is read from its provider (connection_type DIRECT) and kept "
            "current by TariffConnect; connect the location again to change it.",
        )
    changes = data.model_dump(exclude_unset=True)
    if data.provider_id is not None:
        catalogue.get_or_raise(data.provider_id)
    if changes.get("schedule") is None and "schedule" in changes:
        raise invalid("schedule_invalid", "schedule cannot be null.")
    stored_start, stored_end = tariff.contract_start_date, tariff.contract_end_date
    _check_contract(
        data.contract_start_date or (stored_start and as_utc(stored_start)),
        data.contract_end_date
        if "contract_end_date" in changes
        else (stored_end and as_utc(stored_end)),
    )
    if data.schedule is not None:
        validate_schedule(data.schedule, market_rates=tariff.market_rates)
        tariff.schedule = _stored(data.schedule)
    if data.tier_period is not None:
        tariff.tier_period = data.tier_period
    for field in ("display_name", "provider_id", "contract_end_date"):
        if field in changes:
            setattr(tariff, field, getattr(data, field))
    if data.contract_start_date is not None:
        tariff.contract_start_date = data.contract_start_date
    if "standing_charge" in changes:
        tariff.standing_charge = data.standing_charge.value if data.standing_charge else None
    tariff.time_updated = utcnow()
    session.flush()
    out = render(tariff)
    events.record(session, scope=scope, type="tariff.update", object_id=tariff.id, data=out)
    if tariff.status == CONNECTED:
        _location_changed(session, scope, _location(session, tariff.location_id))
    return out


def delete(session: Session, *, scope: Scope, tariff_id: str) -> None:
    """Delete the tariff; a connected one leaves its location without that tariff."""
    tariff = get_or_raise(session, scope=scope, tariff_id=tariff_id)
    out, was_connected = render(tariff), tariff.status == CONNECTED
    session.delete(tariff)
    session.flush()
    events.record(session, scope=scope, type="tariff.delete", object_id=tariff.id, data=out)
    if was_connected:  # a REPLACED one is history: the element's connection stays
        _element_changed(session, scope, tariff)
        _location_changed(session, scope, _location(session, tariff.location_id))


def list_(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    location_id: str,
    tariff_direction: str | None,
    tariff_type: str | None,
    url: str = "/tariffs",
) -> dict[str, Any]:
    """The tariffs of one of the caller's locations, newest first, replaced ones included."""
    locations.get_or_raise(session, scope=scope, location_id=location_id)
    query = scoped(select(Tariff), Tariff, scope).where(Tariff.location_id == location_id)
    if tariff_direction is not None:
        query = query.where(Tariff.tariff_direction == tariff_direction)
    if tariff_type is not None:
        query = query.where(Tariff.tariff_type == tariff_type)
    return paginate(
        session,
        query,
        Tariff.id,
        page,
        url=url,
        render=lambda rows: [render(t) for t in rows],
    )


def connected(session: Session, *, location_ids: Sequence[str]) -> list[Tariff]:
    """The connected tariffs of these locations (callers have already scoped the locations)."""
    if not location_ids:
        return []
    query = select(Tariff).where(
        Tariff.location_id.in_(list(location_ids)), Tariff.status == CONNECTED
    )
    return list(session.scalars(query.order_by(Tariff.id)))


def structure_of(tariff: Tariff) -> str:
    """FIXED, TIME_OF_DAY or MARKET, read off the stored tariff."""
    if tariff.market_rates:
        return "MARKET"
    rates = {
        str(tier["fixed"])
        for entry in tariff.schedule
        for day in entry["days_and_hours"]
        for hour in day["hours"]
        for tier in hour["rate"]
    }
    return "FIXED" if len(rates) == 1 else "TIME_OF_DAY"


def is_tiered(tariff: Tariff) -> bool:
    return any(
        len(hour["rate"]) > 1
        for entry in tariff.schedule
        for day in entry["days_and_hours"]
        for hour in day["hours"]
    )


def _render_all(tariffs: Sequence[Tariff]) -> list[TariffOut]:
    return [render(tariff) for tariff in tariffs]


def _stored(schedule: Sequence[ScheduleEntry]) -> list[dict[str, Any]]:
    return [entry.model_dump(mode="json") for entry in schedule]


def _format(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def _location(session: Session, location_id: str) -> Location:
    location = session.get(Location, location_id)
    assert location is not None  # the foreign key keeps it there
    return location


def _location_changed(session: Session, scope: Scope, location: Location) -> None:
    """Prices of the location changed: apps re-fetch them on `location.update`."""
    session.flush()
    out = locations.render(session, location)
    events.record(session, scope=scope, type="location.update", object_id=location.id, data=out)


def _check_market(market_rates: bool, market_source_id: str | None) -> None:
    if market_rates and market_source_id is None:
        raise invalid("market_source_id_missing", "A market-rate tariff needs market_source_id.")
    if not market_rates and market_source_id is not None:
        raise invalid(
            "market_source_id_invalid", "market_source_id applies to market-rate tariffs only."
        )
    if market_source_id is not None and not is_valid_id(market_source_id, "mrs"):
        raise invalid("market_source_id_invalid", "market_source_id must be an mrs_ id.")


def _check_contract(start: datetime | None, end: datetime | None) -> None:
    for name, value in (("contract_start_date", start), ("contract_end_date", end)):
        if value is not None and value.tzinfo is None:
            raise invalid(
                f"{name}_invalid", f"{name} needs a UTC offset, e.g. 2026-01-01T00:00:00Z."
            )
    if start is not None and end is not None and as_utc(end) <= as_utc(start):
        raise invalid("contract_end_date_invalid", "contract_end_date must be after the start.")
