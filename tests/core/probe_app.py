"""A real app plus a few probe routes that exercise the shared machinery (error handling,
validation codes, pagination) before domain endpoints use it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tariffconnect.accounts.models import ApiKey
from tariffconnect.app import create_app
from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.errors import ApiError
from tariffconnect.core.pagination import PageParams, page_params, paginate


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country_code: str
    city: str


class ProbeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location_id: str
    count: int = 0
    postal_address: Address | None = None


router = api_router()


@router.post("/_probe/echo", name="probe_echo")
def echo(body: ProbeBody) -> ProbeBody:
    return body


@router.get("/_probe/crash", name="probe_crash")
def crash() -> None:
    raise RuntimeError("secret internal detail /etc/passwd")


@router.get("/_probe/teapot", name="probe_teapot")
def teapot() -> None:
    raise ApiError(422, "no_tariff_connected", "No tariff.")


@router.get("/_probe/pool", name="probe_pool")
def pool_exhausted() -> None:
    raise PoolTimeout("QueuePool limit of size 5 overflow 0 reached")


@router.get("/_probe/keys", name="probe_key_list")
def keys(api: Api, page: Annotated[PageParams, Depends(page_params)]) -> dict:
    query = select(ApiKey).where(ApiKey.account_id == api.scope.account_id)
    return paginate(
        api.db, query, ApiKey.id, page, url="/_probe/keys", render=lambda rows: [k.id for k in rows]
    )


def probe_app(settings, database) -> FastAPI:
    app = create_app(settings, database=database)
    app.include_router(router)
    return app
