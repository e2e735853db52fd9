"""Devices: /devices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.wire import Deleted
from tariffconnect.devices import service
from tariffconnect.devices.schemas import DeviceCreate, DeviceOut, DeviceUpdate

router = api_router(prefix="/devices", tags=["Devices"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", name="device_create", status_code=201, response_model=DeviceOut, summary="Create")
def create(api: Api, body: DeviceCreate) -> Response:
    """Create a device, optionally at some of your locations."""
    return api.reply(service.create(api.db, scope=api.scope, data=body), status_code=201)


@router.get("", name="device_list", response_model=ListObject[DeviceOut], summary="List")
def list_devices(
    api: Api, page: Page, reference_id: Annotated[str | None, Query(max_length=255)] = None
) -> dict[str, Any]:
    """The devices, newest first."""
    return service.list_(api.db, scope=api.scope, page=page, reference_id=reference_id)


@router.get("/{device_id}", name="device_retrieve", response_model=DeviceOut, summary="Retrieve")
def retrieve(api: Api, device_id: str) -> Response:
    """One device."""
    return api.reply(service.read(api.db, scope=api.scope, device_id=device_id))


@router.patch("/{device_id}", name="device_update", response_model=DeviceOut, summary="Update")
def update(api: Api, device_id: str, body: DeviceUpdate) -> Response:
    """Change the fields given; the others stay as they are. `locations` replaces the set."""
    out = service.update(api.db, scope=api.scope, device_id=device_id, data=body)
    return api.reply(out)


@router.delete(
    "/{device_id}", name="device_delete", status_code=202, response_model=Deleted, summary="Delete"
)
def delete(api: Api, device_id: str) -> Response:
    """Delete the device; its locations remain."""
    service.delete(api.db, scope=api.scope, device_id=device_id)
    return api.reply(Deleted(id=device_id, object="device"), status_code=202)
