"""GET /health: is the API up and does its database answer. GET /health/worker: has a
background worker run lately. GET /metrics: Prometheus metrics, for the operator's scraper."""

from __future__ import annotations

import hmac

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from starlette.responses import Response

from tariffconnect.auth.routing import answers_within, api_router
from tariffconnect.core.errors import ApiError, not_found, unauthorized
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


@router.get("/metrics", name="metrics", summary="Metrics (Prometheus)", include_in_schema=False)
@answers_within(HEALTH_DEADLINE_SECONDS)
def metrics(request: Request) -> Response:
    """The service's metrics in Prometheus text format (health/metrics.py), for a scraper with
    `Authorization: Bearer <TARIFFCONNECT_METRICS_TOKEN>`; 404 while no token is set."""
    token = runtime_of(request).settings.metrics_token
    if not token:
        raise not_found("not_found", "No such endpoint.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        raise unauthorized("metrics_token_invalid", "Send the metrics token as a bearer token.")
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
