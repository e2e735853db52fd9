"""Market sources: /market_sources, public market data behind the usual bearer token."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.windows import JSON_OPTIONS
from tariffconnect.market import service
from tariffconnect.market.schemas import MarketPricesOut, MarketSourceOut, QueryTime

router = api_router(prefix="/market_sources", tags=["Market sources"])
Page = Annotated[PageParams, Depends(page_params)]
TIME_DOC = "RFC 3339 with an offset; intervals come back in end_time's offset."


@router.get(
    "", name="market_source_list", response_model=ListObject[MarketSourceOut], summary="List"
)
def list_sources(
    api: Api,
    page: Page,
    country_code: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, any case.")
    ] = None,
) -> dict[str, Any]:
    """The market sources (of one country, if given), by id descending."""
    # `api` authenticates and opens the transaction: the data is the same for every caller.
    return service.list_(api.db, page=page, country_code=country_code)


@router.get("/{market_source_id}", name="market_source_retrieve", summary="Retrieve")
def retrieve(api: Api, market_source_id: str) -> MarketSourceOut:
    """One market source."""
    return service.render(api.db, service.get_or_raise(source_id=market_source_id))


@router.get(
    "/{market_source_id}/prices",
    name="market_price_list",
    response_model=MarketPricesOut,
    summary="Published prices",
)
def list_prices(
    api: Api,
    market_source_id: str,
    start_time: Annotated[QueryTime, Query(description=TIME_DOC)],
    end_time: Annotated[QueryTime, Query(description=f"{TIME_DOC} At most 90 days on.")],
) -> Response:
    """The prices published for the source over a window, per kWh, split where they change."""
    body = service.prices(
        api.db, source_id=market_source_id, start_time=start_time, end_time=end_time
    )
    # Up to 8,640 intervals (90 days at 15 minutes): serialised straight from plain dicts.
    return Response(orjson.dumps(body, option=JSON_OPTIONS), media_type="application/json")
