"""Events: GET /events and GET /events/{id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.core.auth import Api
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.routing import api_router
from tariffconnect.events import service
from tariffconnect.events.schemas import EventOut, Redelivery
from tariffconnect.webhooks import service as webhooks

router = api_router(prefix="/events", tags=["Events"])


@router.get("", name="event_list", response_model=ListObject[EventOut], summary="List")
def list_events(
    api: Api,
    page: Annotated[PageParams, Depends(page_params)],
    event_type: Annotated[
        str | None, Query(max_length=64, description="e.g. connect_session.create")
    ] = None,
    object_id: Annotated[
        str | None, Query(pattern=r"^[a-z]+_[0-9a-f]{24}$", description="e.g. a loc_ id")
    ] = None,
) -> dict[str, Any]:
    """The caller's events, newest first."""
    return service.list_(
        api.db, scope=api.scope, page=page, event_type=event_type, object_id=object_id
    )


@router.get("/{event_id}", name="event_retrieve", summary="Retrieve")
def retrieve(api: Api, event_id: str) -> EventOut:
    """One event, with the object as it was when the event happened."""
    return service.render(service.get_or_raise(api.db, scope=api.scope, event_id=event_id))


@router.post(
    "/{event_id}/redeliver",
    name="event_redeliver",
    status_code=202,
    response_model=Redelivery,
    summary="Send again",
)
def redeliver(api: Api, event_id: str) -> Response:
    """Queue the event again for every enabled endpoint that subscribes to it."""
    event = service.get_or_raise(api.db, scope=api.scope, event_id=event_id)
    queued = webhooks.fan_out(api.db, event=event)
    return api.reply(Redelivery(event_id=event.id, deliveries=queued), status_code=202)
