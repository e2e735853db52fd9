"""Price audits: POST /audits/{location_id} (our reading of Flatpeak's anode "Audit a price"),
and zero's GET /tariffs/audit/{location_id}."""

from __future__ import annotations

from typing import Literal

from starlette.responses import Response

from tariffconnect.audits import service
from tariffconnect.audits.schemas import AuditOut, AuditRequest, ZeroAuditOut
from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only
from tariffconnect.core import versions
from tariffconnect.core.windows import (
    QueryTime,
    RequiredQueryTime,
    query_time,
    required_query_time,
)

router = api_router(prefix="/audits", tags=["Audits"])


@router.post("/{location_id}", name="price_audit", response_model=AuditOut, summary="Audit a price")
@reads_only
def audit(api: Api, location_id: str, body: AuditRequest) -> Response:
    """How each price of POST /prices is made up: market, fixed and percentage parts."""
    return api.reply(service.audit(api.db, scope=api.scope, location_id=location_id, body=body))


zero_router = api_router(prefix="/tariffs", tags=["Audits"])
versions.only_in(versions.ZERO, names=["tariff_rate_audit"])


@zero_router.get(
    "/audit/{location_id}",
    name="tariff_rate_audit",
    response_model=ZeroAuditOut,
    summary="Audit tariff rates (zero)",
    deprecated=True,
    description=f"Flatpeak's zero release ({versions.ZERO}); later releases answer "
    "POST /audits/{location_id}.",
)
def audit_zero(
    api: Api,
    location_id: str,
    end_time: RequiredQueryTime,
    start_time: QueryTime = None,
    direction: Literal["IMPORT", "EXPORT"] = "IMPORT",
) -> ZeroAuditOut:
    """The same audit, in zero's names."""
    body = AuditRequest(
        start_time=query_time(start_time, "start_time"),
        end_time=required_query_time(end_time, "end_time"),
        tariff_direction=direction,
    )
    out = service.audit(api.db, scope=api.scope, location_id=location_id, body=body)
    return ZeroAuditOut.model_validate(out.model_dump() | {"object": "tariff_rate_audit"})
