"""Events: recorded as part of each change, read back through /events.

This package knows nothing of what consumes events. A consumer that must act in the same
transaction (webhooks queue their deliveries there) registers a hook with `on_record` at
start-up; `record` calls every registered hook before it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import not_found
from tariffconnect.core.ids import new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, get_owned, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.events.models import Event
from tariffconnect.events.schemas import EventOut

RecordHook = Callable[[Session, Event], object]
_hooks: list[RecordHook] = []


def on_record(hook: RecordHook) -> None:
    """Call `hook(session, event)` for every event recorded from now on, in its transaction.

    Registering the same hook again is a no-op, so every start-up path may register it.
    """
    if hook not in _hooks:
        _hooks.append(hook)


def record(
    session: Session, *, scope: Scope, type: str, object_id: str, data: BaseModel | dict[str, Any]
) -> Event:
    """Write an event in the caller's transaction: it commits with the change or not at all.

    `data` is the object's wire form at this moment, so consumers see what the API would show.
    """
    snapshot = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    event = Event(
        id=new_id("evt"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        type=type,
        object_id=object_id,
        data=snapshot,
    )
    session.add(event)
    for hook in _hooks:
        hook(session, event)
    return event


def get_or_raise(session: Session, *, scope: Scope, event_id: str) -> Event:
    """The caller's event, or 404 `event_not_found`."""
    event = get_owned(session, Event, scope, event_id, prefix="evt")
    if event is None:
        raise not_found("event_not_found", f"No event {event_id}.")
    return event


def render(event: Event) -> EventOut:
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
