"""Devices: create, read, update, delete and list, always inside the caller's scope."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import false, func, insert, select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, not_found
from tariffconnect.core.ids import new_id
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
from tariffconnect.devices.models import Device, device_locations
from tariffconnect.devices.schemas import DeviceCreate, DeviceOut, DeviceType, DeviceUpdate
from tariffconnect.events import service as events
from tariffconnect.locations.models import Location


def get(session: Session, *, scope: Scope, device_id: str, lock: bool = False) -> Device | None:
    """The caller's device with this id, or None. `lock` holds the row until commit, so
    concurrent writes to one device (PATCH, DELETE) run one after the other."""
    return get_owned(session, Device, scope, device_id, prefix="dev", lock=lock)


def get_or_raise(session: Session, *, scope: Scope, device_id: str, lock: bool = False) -> Device:
    """The caller's device with this id, or 404 `device_not_found`."""
    device = get(session, scope=scope, device_id=device_id, lock=lock)
    if device is None:
        raise _not_found(device_id)
    return device


def check_exists(session: Session, *, scope: Scope, device_id: str) -> None:
    """404 `device_not_found` unless the caller has this device (nothing loaded)."""
    if not owns(session, Device, scope, device_id, prefix="dev"):
        raise _not_found(device_id)


def _not_found(device_id: str) -> ApiError:
    return not_found("device_not_found", f"No device {device_id}.")


def render_all(session: Session, devices: Sequence[Device]) -> list[DeviceOut]:
    """Wire forms of `devices`, with their location ids loaded in one query."""
    locations: dict[str, list[str]] = {d.id: [] for d in devices}
    if locations:
        rows = session.execute(
            select(device_locations.c.device_id, device_locations.c.location_id)
            .where(device_locations.c.device_id.in_(list(locations)))
            .order_by(device_locations.c.location_id)
        )
        for device_id, location_id in rows:
            locations[device_id].append(location_id)
    return [_wire(d, locations[d.id]) for d in devices]


def _wire(device: Any, location_ids: list[str]) -> DeviceOut:
    """The wire form of a device, from its row or its ORM object (the same attributes)."""
    return DeviceOut(
        id=device.id,
        live_mode=device.live_mode,
        reference_id=device.reference_id,
        type=DeviceType(device.type),
        locations=location_ids,
        manufacturer=device.manufacturer,
        model_code=device.model_code,
        model_name=device.model_name,
        properties=device.properties,
        time_created=format_utc(device.time_created),
        account_id=device.account_id,
    )


# GET /devices/{id} in one statement, its location ids aggregated (core/scoping.owned_read).
_READ = owned_read(
    Device,
    select(func.aggregate_strings(device_locations.c.location_id, ","))
    .where(device_locations.c.device_id == Device.id)
    .scalar_subquery()
    .label("location_ids"),
)


def read(session: Session, *, scope: Scope, device_id: str) -> DeviceOut:
    """The caller's device as the API shows it, read in one statement; 404 `device_not_found`."""
    row = owned_row(session, _READ, scope, device_id, prefix="dev")
    if row is None:
        raise _not_found(device_id)
    return _wire(row, joined_ids(row.location_ids))


def render(session: Session, device: Device) -> DeviceOut:
    return render_all(session, [device])[0]


def _checked_locations(session: Session, scope: Scope, location_ids: Iterable[str]) -> list[str]:
    """`location_ids` without repeats, once each is known to be the caller's; else 404
    `location_not_found` naming the first that is not.

    FOR SHARE (PostgreSQL) keeps the locations from being deleted before we commit the links,
    which would otherwise fail on the foreign key. Queried on the model directly rather than
    through locations.service, which is written concurrently.
    """
    wanted = list(dict.fromkeys(location_ids))
    if not wanted:
        return []
    query = scoped(select(Location.id), Location, scope).where(Location.id.in_(wanted))
    found = set(session.scalars(query.with_for_update(read=True)))
    for location_id in wanted:
        if location_id not in found:
            raise not_found("location_not_found", f"No location {location_id}.")
    return wanted


def _link(session: Session, device_id: str, location_ids: Sequence[str]) -> None:
    if location_ids:
        rows = [{"device_id": device_id, "location_id": lid} for lid in location_ids]
        session.execute(insert(device_locations), rows)


def _unlink_all(session: Session, device_id: str) -> None:
    session.execute(sql_delete(device_locations).where(device_locations.c.device_id == device_id))


def create(session: Session, *, scope: Scope, data: DeviceCreate) -> DeviceOut:
    """Create a device at the given locations and record `device.create`."""
    location_ids = _checked_locations(session, scope, data.locations)
    fields = data.model_dump(mode="json", exclude={"locations"})
    device = Device(
        id=new_id("dev"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        **fields,
    )
    session.add(device)
    session.flush()  # the link rows refer to the device
    _link(session, device.id, location_ids)
    out = render(session, device)
    events.record(session, scope=scope, type="device.create", object_id=device.id, data=out)
    return out


def update(session: Session, *, scope: Scope, device_id: str, data: DeviceUpdate) -> DeviceOut:
    """Apply the fields given (PATCH) and record `device.update`. `locations`, when given,
    replaces the set; `properties`, when given, replaces the whole object."""
    device = get_or_raise(session, scope=scope, device_id=device_id, lock=True)
    fields = data.model_dump(mode="json", exclude_unset=True)
    new_locations = fields.pop("locations", None)
    if new_locations is not None:
        location_ids = _checked_locations(session, scope, new_locations)
        _unlink_all(session, device.id)
        _link(session, device.id, location_ids)
    for field, value in fields.items():
        setattr(device, field, value)
    session.flush()
    out = render(session, device)
    events.record(session, scope=scope, type="device.update", object_id=device.id, data=out)
    return out


def delete(session: Session, *, scope: Scope, device_id: str) -> None:
    """Delete the device and its location links; the locations stay. Records `device.delete`
    with the device as it was."""
    device = get_or_raise(session, scope=scope, device_id=device_id, lock=True)
    out = render(session, device)
    # Explicit rather than left to ON DELETE CASCADE, which SQLite honours only with its
    # foreign_keys pragma on.
    _unlink_all(session, device.id)
    session.delete(device)
    events.record(session, scope=scope, type="device.delete", object_id=device.id, data=out)


def list_(
    session: Session, *, scope: Scope, page: PageParams, reference_id: str | None
) -> dict[str, Any]:
    """One page of the caller's devices, newest first."""
    query = scoped(select(Device), Device, scope)
    if reference_id is not None:
        # No stored reference_id holds a NUL (writes refuse it), and PostgreSQL would fail on
        # one in a parameter, so such a filter matches nothing without asking.
        matches = Device.reference_id == reference_id if "\x00" not in reference_id else false()
        query = query.where(matches)
    return paginate(
        session,
        query,
        Device.id,
        page,
        url="/devices",
        render=lambda rows: render_all(session, rows),
    )
