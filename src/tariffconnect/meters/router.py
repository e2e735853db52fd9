"""Meter records: PUT /meters/interval, PUT /meters/cumulative/epoch, GET /meters/batch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.meters import service
from tariffconnect.meters.schemas import BatchOut, CumulativeIn

router = api_router(prefix="/meters", tags=["Meters"])
RECORDS_DOC = (
    "Up to 10,000 interval records, each {location_id, device_id, session_reference_id, "
    "record_reference_id, energy_flow_direction (or direction), tariff_direction (or "
    "tariff_rate), units (W, KW, WH, KWH), value, start_time, end_time}. A faulty record is "
    "reported in failed_records; the others are stored."
)


@router.put(
    "/interval",
    name="meter_interval_submit",
    response_model=BatchOut,
    summary="Submit interval meter records",
)
def submit_interval(
    api: Api, body: Annotated[list[Any], Body(description=RECORDS_DOC)]
) -> Response:
    """Store interval records; each faulty one is reported with its code, never the batch."""
    return api.reply(service.submit_interval(api.db, scope=api.scope, items=body))


@router.put(
    "/cumulative/epoch",
    name="meter_cumulative_submit",
    response_model=BatchOut,
    summary="Submit cumulative register reads",
)
def submit_cumulative(api: Api, body: CumulativeIn) -> Response:
    """Register reads (epoch seconds) stored as the interval records between them."""
    return api.reply(service.submit_cumulative(api.db, scope=api.scope, body=body))


@router.get("/batch", name="meter_batch_get", response_model=BatchOut, summary="Get a batch")
def get_batch(api: Api, batch_id: Annotated[str, Query(description="bat_…")]) -> Response:
    """What became of a submission's records."""
    return api.reply(service.get_batch(api.db, scope=api.scope, batch_id=batch_id))
