"""Zero's tariff elements: /tariffs/elements (create, list, retrieve, delete), the same
tariffs as /tariffs in zero's names (`direction`, `type`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core import versions
from tariffconnect.core.ids import id_path
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.wire import Deleted
from tariffconnect.tariffs import service
from tariffconnect.tariffs.schemas import TariffCreate, TariffElementOut, TariffOut

router = api_router(prefix="/tariffs/elements", tags=["Tariffs"])
ELEMENT_PATH = id_path("tariff_id", "trf")
Page = Annotated[PageParams, Depends(page_params)]
DirectionQuery = Literal["IMPORT", "EXPORT"] | None
TypeQuery = Literal["COMMODITY", "NON_COMMODITY"] | None
ZERO_DOC = f"Flatpeak's zero release ({versions.ZERO}); /tariffs is the same in later releases."
versions.only_in(
    versions.ZERO,
    names=[
        "tariff_element_create",
        "tariff_element_list",
        "tariff_element_retrieve",
        "tariff_element_delete",
    ],
)


def element(out: TariffOut) -> TariffElementOut:
    return TariffElementOut.model_validate(out.model_dump())


@router.post(
    "",
    name="tariff_element_create",
    response_model=TariffElementOut,
    summary="Create a tariff element (zero)",
    deprecated=True,
    description=ZERO_DOC,
)
def create(api: Api, body: TariffCreate) -> Response:
    """Connect a tariff to a location (200, as zero answered)."""
    return api.reply(element(service.create(api.db, scope=api.scope, data=body)))


@router.get(
    "",
    name="tariff_element_list",
    response_model=ListObject[TariffElementOut],
    summary="List tariff elements (zero)",
    deprecated=True,
    description=ZERO_DOC,
)
def list_elements(
    api: Api,
    page: Page,
    location_id: Annotated[str, Query(max_length=64)],
    direction: DirectionQuery = None,
    type_: Annotated[TypeQuery, Query(alias="type")] = None,
    tariff_direction: DirectionQuery = None,
    tariff_type: TypeQuery = None,
) -> dict[str, Any]:
    """A location's tariffs, newest first; `direction` and `type` (or their later names)
    filter them."""
    found = service.list_(
        api.db,
        scope=api.scope,
        page=page,
        location_id=location_id,
        tariff_direction=direction or tariff_direction,
        tariff_type=type_ or tariff_type,
        url="/tariffs/elements",
    )
    return found | {"data": [element(t) for t in found["data"]]}


@router.get(
    ELEMENT_PATH,
    name="tariff_element_retrieve",
    summary="Retrieve a tariff element (zero)",
    deprecated=True,
    description=ZERO_DOC,
)
def retrieve(api: Api, tariff_id: str) -> TariffElementOut:
    """One tariff."""
    found = service.get_or_raise(api.db, scope=api.scope, tariff_id=tariff_id)
    return element(service.render(found))


@router.delete(
    ELEMENT_PATH,
    name="tariff_element_delete",
    status_code=202,
    response_model=Deleted,
    summary="Delete a tariff element (zero)",
    deprecated=True,
    description=ZERO_DOC,
)
def delete(api: Api, tariff_id: str) -> Deleted:
    """Delete a tariff; it leaves the location's tariff_elements."""
    service.delete(api.db, scope=api.scope, tariff_id=tariff_id)
    return Deleted(id=tariff_id, object="tariff")
