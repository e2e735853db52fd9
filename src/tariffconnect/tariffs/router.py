"""Tariffs: /tariffs and the published tariff library, /tariffs/library."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core import versions
from tariffconnect.core.ids import id_path
from tariffconnect.core.pagination import ListObject, PageParams, page_in_memory, page_params
from tariffconnect.core.wire import Deleted
from tariffconnect.tariffs import library, service
from tariffconnect.tariffs.elements import DirectionQuery, TypeQuery
from tariffconnect.tariffs.schemas import TariffCreate, TariffOut, TariffUpdate

router = api_router(prefix="/tariffs", tags=["Tariffs"])
versions.only_in(
    versions.ANODE,
    versions.BUSBAR,
    names=["tariff_create", "tariff_list", "tariff_retrieve", "tariff_update", "tariff_delete"],
)
TARIFF_PATH = id_path("tariff_id", "trf")
Page = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/library",
    name="tariff_library_list",
    response_model=ListObject[library.LibraryTariff],
    summary="List published tariffs",
)
def list_library(
    api: Api,
    page: Page,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
    country_code: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
) -> dict[str, Any]:
    """Real published tariffs, with their sources; Connect's LIBRARY path offers them."""
    found = library.search(provider_id=provider_id, country_code=country_code, session=api.db)
    rows, has_more = page_in_memory(found, page)
    return {"object": "list", "url": "/tariffs/library", "has_more": has_more, "data": rows}


@router.post("", name="tariff_create", status_code=201, response_model=TariffOut, summary="Create")
def create(api: Api, body: TariffCreate) -> Response:
    """Connect a tariff to a location, replacing the one of the same direction and type."""
    return api.reply(service.create(api.db, scope=api.scope, data=body), status_code=201)


@router.get("", name="tariff_list", response_model=ListObject[TariffOut], summary="List")
def list_tariffs(
    api: Api,
    page: Page,
    location_id: Annotated[str, Query(max_length=64)],
    tariff_direction: DirectionQuery = None,
    tariff_type: TypeQuery = None,
    direction: DirectionQuery = None,
    type_: Annotated[TypeQuery, Query(alias="type")] = None,
) -> dict[str, Any]:
    """A location's tariffs, newest first; replaced ones included. `direction` and `type`
    (zero's names) filter as `tariff_direction` and `tariff_type` do."""
    return service.list_(
        api.db,
        scope=api.scope,
        page=page,
        location_id=location_id,
        tariff_direction=tariff_direction or direction,
        tariff_type=tariff_type or type_,
    )


@router.get(TARIFF_PATH, name="tariff_retrieve", response_model=TariffOut, summary="Retrieve")
def retrieve(api: Api, tariff_id: str) -> Response:
    """One tariff."""
    return api.reply(service.read(api.db, scope=api.scope, tariff_id=tariff_id))


@router.patch(TARIFF_PATH, name="tariff_update", response_model=TariffOut, summary="Update")
def update(api: Api, tariff_id: str, body: TariffUpdate) -> Response:
    """Change the fields given; a new schedule is validated as on creation."""
    return api.reply(service.update(api.db, scope=api.scope, tariff_id=tariff_id, data=body))


@router.delete(
    TARIFF_PATH, name="tariff_delete", status_code=202, response_model=Deleted, summary="Delete"
)
def delete(api: Api, tariff_id: str) -> Deleted:
    """Delete a tariff."""
    service.delete(api.db, scope=api.scope, tariff_id=tariff_id)
    return Deleted(id=tariff_id, object="tariff")
