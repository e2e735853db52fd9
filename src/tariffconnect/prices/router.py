"""Prices: POST /prices (busbar) and POST /prices/{location_id} (anode)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only
from tariffconnect.core import versions
from tariffconnect.core.timeutil import utcnow
from tariffconnect.core.windows import (
    QueryTime,
    RequiredQueryTime,
    query_time,
    required_query_time,
)
from tariffconnect.locations.schemas import LocationStatusOut
from tariffconnect.prices import service, zero
from tariffconnect.prices.schemas import PriceOut, PriceRequest, PriceWindow, TariffRateOut
from tariffconnect.runtime import public_base_url

router = api_router(prefix="/prices", tags=["Prices"])
versions.only_in(versions.BUSBAR, names=["price_retrieve"])
versions.only_in(versions.ANODE, versions.BUSBAR, names=["price_retrieve_for_location"])


def _json(body: bytes) -> Response:
    # The service writes the JSON itself: its series comes from a cache of serialised arrays.
    return Response(body, media_type="application/json")


@router.post("", name="price_retrieve", response_model=PriceOut, summary="Retrieve prices")
@reads_only
def retrieve(api: Api, body: PriceRequest) -> Response:
    """The location's prices per kWh over a window, split where the price changes."""
    window = PriceWindow(
        start_time=body.start_time, end_time=body.end_time, tariff_direction=body.tariff_direction
    )
    return _json(
        service.price_body(
            api.db,
            scope=api.scope,
            location_id=body.location_id,
            device_id=body.device_id,
            window=window,
        )
    )


@router.post(
    "/{location_id}",
    name="price_retrieve_for_location",
    response_model=PriceOut,
    summary="Retrieve prices for a location",
)
@reads_only
def retrieve_for_location(api: Api, location_id: str, body: PriceWindow) -> Response:
    """The same as POST /prices, with the location in the path (Flatpeak's anode release)."""
    return _json(
        service.price_body(
            api.db, scope=api.scope, location_id=location_id, device_id=None, window=body
        )
    )


zero_router = api_router(tags=["Prices"])
versions.only_in(versions.ZERO, names=["tariff_rate_retrieve", "location_status_retrieve"])


@zero_router.get(
    "/tariffs/rates/{location_id}",
    name="tariff_rate_retrieve",
    response_model=TariffRateOut,
    response_model_exclude_unset=True,
    summary="Get tariff rates (zero)",
    deprecated=True,
    description=f"Flatpeak's zero release ({versions.ZERO}); later releases answer "
    "POST /prices/{location_id}.",
)
def tariff_rates(
    api: Api,
    location_id: str,
    end_time: RequiredQueryTime,
    start_time: QueryTime = None,
    direction: Literal["IMPORT", "EXPORT"] = "IMPORT",
    include_tariff: bool = True,
    include_carbon: bool = False,
) -> TariffRateOut:
    """The location's rates per kWh over a window, split where the rate changes."""
    window = PriceWindow(
        start_time=query_time(start_time, "start_time"),
        end_time=required_query_time(end_time, "end_time"),
        tariff_direction=direction,
    )
    out = zero.tariff_rate(
        api.db,
        scope=api.scope,
        location_id=location_id,
        window=window,
        include_tariff=include_tariff,
        include_carbon=include_carbon,
    )
    if include_carbon:
        for interval in out.data:
            interval.carbon = None  # marked as set: the answer names it, as null
    return out


@zero_router.get(
    "/locations/{location_id}/status",
    name="location_status_retrieve",
    response_model=LocationStatusOut,
    summary="Retrieve a location's status (zero)",
    deprecated=True,
    description=f"Flatpeak's zero release ({versions.ZERO}).",
)
def location_status(api: Api, request: Request, location_id: str) -> LocationStatusOut:
    """The location with each tariff element's state and the rates around today."""
    return zero.location_status(
        api.db,
        scope=api.scope,
        location_id=location_id,
        now=utcnow(),
        base_url=public_base_url(request),
    )
