"""GET /health: is the API up and does its database answer. GET /health/worker: has a
background worker run lately."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from tariffconnect.auth.routing import answers_within, api_router
from tariffconnect.core.errors import ApiError
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.jobs import beats
from tariffconnect.runtime import runtime_of

router = api_router(tags=["Health"])
HEALTH_DEADLINE_SECONDS = 2.0


class Health(BaseModel):
    status: str = "ok"
    database: str = "ok"


class WorkerHealth(BaseModel):
    status: str = "ok"
    workers: int = Field(description="Workers that have run within twice their poll interval.")
    last_seen: str = Field(description="When the most recent of them last ran (RFC 3339).")


@router.get("/health", name="health", summary="Service health")
@answers_within(HEALTH_DEADLINE_SECONDS)
def health(request: Request) -> Health:
    """200 when the database answers; 503 `database_unavailable` when it does not (the app's
    one mapping of database outages)."""
    runtime_of(request).db.ping()
    return Health()


@router.get("/health/worker", name="health_worker", summary="Background worker health")
def worker_health(request: Request) -> WorkerHealth:
    """200 when a worker has run within twice its poll interval; 503 `worker_unavailable`
    when none has (none is running, or all are stuck), 503 `database_unavailable`."""
    with runtime_of(request).db.transaction(write=False) as session:
        alive = beats.alive(session, now=utcnow())
    if not alive:
        raise ApiError(
            503,
            "worker_unavailable",
            "No background worker has run within twice its poll interval: start "
            "`tariffconnect worker`, or run it inside `serve` (TARIFFCONNECT_WORKER_IN_PROCESS).",
        )
    return WorkerHealth(workers=len(alive), last_seen=format_utc(alive[0].last_seen))
