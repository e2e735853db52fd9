"""Events: recorded as part of each change, read back through /events.

This package knows nothing of what consumes events. A consumer that must act in the same
transaction (webhooks queue their deliveries there) registers a hook with `on_record` at
start-up; `record` and `record_many` call every registered hook, with the events just written,
before they return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import not_found
from tariffconnect.core.ids import new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, get_owned, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.db.bulk import insert_rows
from tariffconnect.events.models import Event
from tariffconnect.events.schemas import EventOut


class Recorded(Protocol):
    """What hooks read of an event just recorded: an `Event` row, or one written in bulk."""

    @property
    def id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def live_mode(self) -> bool: ...
    @property
    def time_created(self) -> datetime: ...
    @property
    def type(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Written:
    """An event written by `record_many` (no ORM object: thousands are written at once)."""

    id: str
    account_id: str
    live_mode: bool
    time_created: datetime
    type: str
    object_id: str
    data: dict[str, Any]


RecordHook = Callable[[Session, Sequence[Recorded]], object]
_hooks: list[RecordHook] = []


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event for `record_many`: whose it is, what happened to which object, and the
    object's wire form at this moment."""

    scope: Scope
    type: str
    object_id: str
    data: BaseModel | dict[str, Any]


def on_record(hook: RecordHook) -> None:
    """Call `hook(session, events)` with the events of every record from now on, in their
    transaction.

    Registering the same hook again is a no-op, so every start-up path may register it.
    """
    if hook not in _hooks:
        _hooks.append(hook)


def record(
    session: Session, *, scope: Scope, type: str, object_id: str, data: BaseModel | dict[str, Any]
) -> Written:
    """Write an event in the caller's transaction: it commits with the change or not at all.

    `data` is the object's wire form at this moment, so consumers see what the API would show.
    A Core insert, not an ORM object: the unit of work's flush cost more than the rest of a
    small write request.
    """
    (written,) = record_many(
        session, [NewEvent(scope=scope, type=type, object_id=object_id, data=data)]
    )
    return written


def record_many(session: Session, entries: Sequence[NewEvent]) -> list[Written]:
    """Write many events in the caller's transaction with multi-row inserts, then run the
    hooks once for all of them: what a change touching thousands of objects uses (new market
    prices announced to every location following the source)."""
    now = utcnow()
    written = [
        Written(
            id=new_id("evt"),
            account_id=entry.scope.account_id,
            live_mode=entry.scope.live_mode,
            time_created=now,
            type=entry.type,
            object_id=entry.object_id,
            data=_snapshot(entry.data),
        )
        for entry in entries
    ]
    if not written:
        return written
    insert_rows(session, Event, [_row(event) for event in written])
    for hook in _hooks:
        hook(session, written)
    return written


def _row(event: Written) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies each event's data, the bulk of the row.
    return {
        "id": event.id,
        "account_id": event.account_id,
        "live_mode": event.live_mode,
        "time_created": event.time_created,
        "type": event.type,
        "object_id": event.object_id,
        "data": event.data,
    }


def _snapshot(data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    return data.model_dump(mode="json") if isinstance(data, BaseModel) else data


def get_or_raise(session: Session, *, scope: Scope, event_id: str) -> Event:
    """The caller's event, or 404 `event_not_found`."""
    event = get_owned(session, Event, scope, event_id, prefix="evt")
    if event is None:
        raise not_found("event_not_found", f"No event {event_id}.")
    return event


class Renderable(Protocol):
    """What `render` reads: an `Event`, or a row of the same columns."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def live_mode(self) -> bool: ...
    @property
    def time_created(self) -> datetime: ...


def render(event: Renderable) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        data=event.data,
        live_mode=event.live_mode,
        time_created=format_utc(event.time_created),
    )


def list_(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    event_type: str | None,
    object_id: str | None,
) -> dict[str, Any]:
    """One page of the caller's events, newest first."""
    query = scoped(select(Event), Event, scope)
    if event_type is not None:
        query = query.where(Event.type == event_type)
    if object_id is not None:
        query = query.where(Event.object_id == object_id)
    return paginate(
        session, query, Event.id, page, url="/events", render=lambda rows: [render(e) for e in rows]
    )
