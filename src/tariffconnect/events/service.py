"""Events: recorded as part of each change, read back through /events. Webhook delivery (a
later issue) reads the same rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.events.models import Event
from tariffconnect.events.schemas import EventOut
from tariffconnect.webhooks import service as webhooks


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
    webhooks.fan_out(session, event=event)
    return event


def get_or_raise(session: Session, *, scope: Scope, event_id: str) -> Event:
    """The caller's event, or 404 `event_not_found`."""
    query = scoped(select(Event), Event, scope).where(Event.id == event_id)
    event = session.scalars(query).one_or_none() if is_valid_id(event_id, "evt") else None
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
