"""Price audits: POST /audits/{location_id} (our reading of Flatpeak's anode "Audit a price")."""

from __future__ import annotations

from starlette.responses import Response

from tariffconnect.audits import service
from tariffconnect.audits.schemas import AuditOut, AuditRequest
from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router, reads_only

router = api_router(prefix="/audits", tags=["Audits"])


@router.post("/{location_id}", name="price_audit", response_model=AuditOut, summary="Audit a price")
@reads_only
def audit(api: Api, location_id: str, body: AuditRequest) -> Response:
    """How each price of POST /prices is made up: market, fixed and percentage parts."""
    return api.reply(service.audit(api.db, scope=api.scope, location_id=location_id, body=body))
