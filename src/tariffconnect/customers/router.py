"""Customers: /customers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.wire import Deleted
from tariffconnect.customers import service
from tariffconnect.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate

router = api_router(prefix="/customers", tags=["Customers"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post(
    "", name="customer_create", status_code=201, response_model=CustomerOut, summary="Create"
)
def create(api: Api, body: CustomerCreate) -> Response:
    """Create a customer."""
    return api.reply(service.create(api.db, scope=api.scope, data=body), status_code=201)


@router.get("", name="customer_list", response_model=ListObject[CustomerOut], summary="List")
def list_customers(
    api: Api, page: Page, reference_id: Annotated[str | None, Query(max_length=255)] = None
) -> dict[str, Any]:
    """The customers, newest first."""
    return service.list_(api.db, scope=api.scope, page=page, reference_id=reference_id)


@router.get(
    "/{customer_id}", name="customer_retrieve", response_model=CustomerOut, summary="Retrieve"
)
def retrieve(api: Api, customer_id: str) -> Response:
    """One customer."""
    return api.reply(service.read(api.db, scope=api.scope, customer_id=customer_id))


@router.patch(
    "/{customer_id}", name="customer_update", response_model=CustomerOut, summary="Update"
)
def update(api: Api, customer_id: str, body: CustomerUpdate) -> Response:
    """Change the fields given; the others stay as they are."""
    out = service.update(api.db, scope=api.scope, customer_id=customer_id, data=body)
    return api.reply(out)


@router.delete(
    "/{customer_id}",
    name="customer_delete",
    status_code=202,
    response_model=Deleted,
    summary="Delete",
)
def delete(api: Api, customer_id: str) -> Deleted:
    """Delete the customer; its locations remain, without a customer."""
    service.delete(api.db, scope=api.scope, customer_id=customer_id)
    return Deleted(id=customer_id, object="customer")
