"""Schedules: POST /schedules/duration|limit|amount/{location_id} (Flatpeak's zero and anode)."""

from __future__ import annotations

from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only
from tariffconnect.schedules import service
from tariffconnect.schedules.schemas import (
    AmountOut,
    AmountRequest,
    DurationOut,
    DurationRequest,
    LimitOut,
    LimitRequest,
)

router = api_router(prefix="/schedules", tags=["Schedules"])


@router.post(
    "/duration/{location_id}",
    name="schedule_by_duration",
    response_model=DurationOut,
    summary="Schedule by duration",
)
@reads_only
def by_duration(api: Api, location_id: str, body: DurationRequest) -> Response:
    """The cheapest (or dearest) minutes of a window, split or in one piece."""
    schedule = service.by_duration(api.db, scope=api.scope, location_id=location_id, body=body)
    return api.reply(schedule)


@router.post(
    "/limit/{location_id}",
    name="schedule_by_limit",
    response_model=LimitOut,
    summary="Schedule by price limit",
)
@reads_only
def by_limit(api: Api, location_id: str, body: LimitRequest) -> Response:
    """The times of a window priced within a limit."""
    schedule = service.by_limit(api.db, scope=api.scope, location_id=location_id, body=body)
    return api.reply(schedule)


@router.post(
    "/amount/{location_id}",
    name="schedule_by_amount",
    response_model=AmountOut,
    summary="Schedule by amount of energy",
)
@reads_only
def by_amount(api: Api, location_id: str, body: AmountRequest) -> Response:
    """Each device's power over its window, at least cost within the power limits."""
    schedule = service.by_amount(api.db, scope=api.scope, location_id=location_id, body=body)
    return api.reply(schedule)
