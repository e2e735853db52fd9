"""Locations: /locations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.wire import Deleted, Text
from tariffconnect.locations import service
from tariffconnect.locations.schemas import LocationCreate, LocationOut, LocationUpdate

router = api_router(prefix="/locations", tags=["Locations"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post(
    "", name="location_create", status_code=201, response_model=LocationOut, summary="Create"
)
def create(api: Api, body: LocationCreate) -> Response:
    """Create a location; its time zone and currency are derived from the postal address."""
    return api.reply(service.create(api.db, scope=api.scope, data=body), status_code=201)


@router.get("", name="location_list", response_model=ListObject[LocationOut], summary="List")
def list_locations(
    api: Api,
    page: Page,
    reference_id: Annotated[Text | None, Query(max_length=255)] = None,
    customer_id: Annotated[Text | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """The locations, newest first; optionally only those with this reference_id or customer."""
    return service.list_(
        api.db, scope=api.scope, page=page, reference_id=reference_id, customer_id=customer_id
    )


@router.get(
    "/{location_id}", name="location_retrieve", response_model=LocationOut, summary="Retrieve"
)
def retrieve(api: Api, location_id: str) -> Response:
    """One location."""
    return api.reply(service.read(api.db, scope=api.scope, location_id=location_id))


@router.patch(
    "/{location_id}", name="location_update", response_model=LocationOut, summary="Update"
)
def update(api: Api, location_id: str, body: LocationUpdate) -> Response:
    """Change the fields given; a postal_address given is checked and derived anew."""
    out = service.update(api.db, scope=api.scope, location_id=location_id, data=body)
    return api.reply(out)


@router.delete(
    "/{location_id}",
    name="location_delete",
    status_code=202,
    response_model=Deleted,
    summary="Delete",
)
def delete(api: Api, location_id: str) -> Deleted:
    """Delete the location, with its connect sessions and device links."""
    service.delete(api.db, scope=api.scope, location_id=location_id)
    return Deleted(id=location_id, object="location")
