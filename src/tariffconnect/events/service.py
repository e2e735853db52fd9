"""Recording events. Delivery (webhooks) reads them later; recording is part of the change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.events.models import Event


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
    return event
