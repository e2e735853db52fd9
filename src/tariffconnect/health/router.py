"""GET /health: is the service up and does its database answer."""

from __future__ import annotations

import logging

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from tariffconnect.auth.routing import api_router
from tariffconnect.core.errors import ApiError
from tariffconnect.runtime import runtime_of

router = api_router(tags=["Health"])
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str = "ok"
    database: str = "ok"


@router.get("/health", name="health", summary="Service health")
def health(request: Request) -> Health:
    """200 when the database answers; 503 `database_unavailable` when it does not."""
    try:
        runtime_of(request).db.ping()
    except SQLAlchemyError:
        log.warning("health check: database unavailable", exc_info=True)
        raise ApiError(503, "database_unavailable", "The database does not answer.") from None
    return Health()
