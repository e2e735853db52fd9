"""Prices: POST /prices (busbar) and POST /prices/{location_id} (anode)."""

from __future__ import annotations

from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only
from tariffconnect.core import versions
from tariffconnect.prices import service
from tariffconnect.prices.schemas import PriceOut, PriceRequest, PriceWindow

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
