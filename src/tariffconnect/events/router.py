"""Events: GET /events and GET /events/{id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.events import service
from tariffconnect.events.schemas import EventOut

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
