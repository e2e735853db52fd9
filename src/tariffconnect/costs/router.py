"""Costs: POST /costs/instant, /costs/interval/{location_id or device_id},
/costs/session/{session_reference_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only
from tariffconnect.costs import service
from tariffconnect.costs.schemas import (
    Aggregation,
    CostWindow,
    Direction,
    EnergyCostOut,
    MeterRecordOut,
)
from tariffconnect.meters.schemas import RecordIn

router = api_router(prefix="/costs", tags=["Costs"])
DirectionQuery = Annotated[
    Direction | None, Query(description="IMPORT (default) or EXPORT; zero's `direction` too.")
]


def _direction(tariff_direction: Direction | None, direction: Direction | None) -> str:
    return tariff_direction or direction or "IMPORT"


@router.post(
    "/instant",
    name="cost_instant",
    response_model=MeterRecordOut,
    summary="Instantly calculate energy cost",
)
def instant(
    api: Api,
    body: RecordIn,
    non_persistent: Annotated[
        bool, Query(description="true: price it without storing it.")
    ] = False,
) -> Response:
    """One record priced at the tariff in force when it flowed (and stored, by default)."""
    out = service.instant(api.db, scope=api.scope, record=body, non_persistent=non_persistent)
    return api.reply(out)


@router.post(
    "/interval/{object_id}",
    name="cost_interval",
    response_model=EnergyCostOut,
    summary="Energy cost over a time window",
)
@reads_only
def by_interval(
    api: Api,
    object_id: str,
    body: CostWindow,
    aggregation: Annotated[Aggregation | None, Query(description="DAY or MONTH, local.")] = None,
    tariff_direction: DirectionQuery = None,
    direction: DirectionQuery = None,
) -> Response:
    """A location's (`loc_…`) or a device's (`dev_…`) stored records, priced and summed."""
    out = service.interval(
        api.db,
        scope=api.scope,
        object_id=object_id,
        body=body,
        aggregation=aggregation,
        direction=_direction(tariff_direction, direction),
    )
    return api.reply(out)


@router.post(
    "/session/{session_reference_id}",
    name="cost_session",
    response_model=EnergyCostOut,
    summary="Energy cost of a session",
)
@reads_only
def by_session(
    api: Api,
    session_reference_id: str,
    tariff_direction: DirectionQuery = None,
    direction: DirectionQuery = None,
) -> Response:
    """The records sent with this session_reference_id, priced and summed."""
    out = service.by_session(
        api.db,
        scope=api.scope,
        session_reference_id=session_reference_id,
        direction=_direction(tariff_direction, direction),
    )
    return api.reply(out)
