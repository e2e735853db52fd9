"""create_app(settings): the ASGI application."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from tariffconnect import __version__, hooks, openapi
from tariffconnect.accounts.router import router as accounts_router
from tariffconnect.audits.router import router as audits_router
from tariffconnect.audits.router import zero_router as zero_audits_router
from tariffconnect.config import Settings
from tariffconnect.connect.flow.router import FlowHost
from tariffconnect.connect.flow.router import build_router as build_flow_router
from tariffconnect.connect.router import router as connect_router
from tariffconnect.connect.web.auth_pages import router as auth_pages_router
from tariffconnect.connect.web.router import router as web_router
from tariffconnect.core import idempotency, logs, memory
from tariffconnect.core.errors import (
    DATABASE_ERRORS,
    ApiError,
    ErrorObject,
    database_unavailable,
    error_response,
    from_validation_errors,
)
from tariffconnect.core.metrics import RequestMetrics
from tariffconnect.core.middleware import RequestGuard
from tariffconnect.core.ratelimit import RateLimitGuard, RateLimits
from tariffconnect.core.versions import ReleaseMiddleware
from tariffconnect.costs.router import router as costs_router
from tariffconnect.customers.router import router as customers_router
from tariffconnect.db import Database
from tariffconnect.devices.router import router as devices_router
from tariffconnect.events.router import router as events_router
from tariffconnect.feeds.router import router as feeds_router
from tariffconnect.health.metrics import StateCollector
from tariffconnect.health.router import router as health_router
from tariffconnect.locations.router import router as locations_router
from tariffconnect.market.router import router as market_router
from tariffconnect.meters.router import router as meters_router
from tariffconnect.openadr.router import router as openadr_router
from tariffconnect.prices.cache import SERIES
from tariffconnect.prices.router import router as prices_router
from tariffconnect.prices.router import zero_router as zero_prices_router
from tariffconnect.providers import catalogue
from tariffconnect.providers.router import router as providers_router
from tariffconnect.runtime import Runtime
from tariffconnect.schedules.router import router as schedules_router
from tariffconnect.tariffs.elements import router as tariff_elements_router
from tariffconnect.tariffs.router import router as tariffs_router
from tariffconnect.webhooks.router import public as jwks_router
from tariffconnect.webhooks.router import redelivery as redelivery_router
from tariffconnect.webhooks.router import router as webhooks_router
from tariffconnect.worker import build_runner

log = logging.getLogger("tariffconnect")

_HTTP_CODES = {
    404: ("route_not_found", "No such endpoint."),
    405: ("method_not_allowed", "That method is not allowed on this endpoint."),
}


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    db = database or Database(
        settings.database_url_resolved,
        pool_size=settings.db_pool_size,
        statement_timeout_seconds=settings.request_deadline_seconds,
    )
    runtime = Runtime(settings=settings, db=db)
    catalogue.load()  # a broken provider file stops start-up, not the first request
    SERIES.resize(settings.price_series_cache_mb * 1024 * 1024)
    hooks.install()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers run in anyio's worker threads, each holding one pooled connection while it
        # runs: as many threads as connections keeps every thread busy and none waiting.
        to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        memory.limit_malloc_arenas(settings.malloc_arena_max)  # before the threads allocate
        # What start-up built lives as long as the process: frozen, the collector's full
        # passes no longer walk it (they did, on every large price answer).
        gc.collect()
        gc.freeze()
        if settings.log_format == "json" and not logging.getLogger().handlers:
            logs.configure("json")  # a worker process of `serve --workers N` starts bare
        stop = asyncio.Event()
        worker = (
            asyncio.create_task(build_runner(runtime).run(stop))
            if settings.worker_in_process
            else None
        )
        yield
        stop.set()
        if worker is not None:
            await worker
        if database is None:  # only dispose what this app created
            db.dispose()

    app = FastAPI(
        title="TariffConnect API",
        version=__version__,
        description=(
            "A self-hostable energy-tariff platform whose API is wire-compatible with "
            "Flatpeak's. Log in with GET /login, then send the bearer token."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        responses={"default": {"model": ErrorObject, "description": "An error object."}},
    )
    app.state.runtime = runtime
    _install_error_handlers(app)
    if settings.connect_flow_host:
        app.add_middleware(
            FlowHost, host=settings.connect_flow_host, path=settings.connect_flow_path
        )
    app.state.rate_limits = rate_limits = RateLimits(settings)
    app.add_middleware(RateLimitGuard, limits=rate_limits)
    app.add_middleware(ReleaseMiddleware)
    app.state.metrics_registry = registry = CollectorRegistry()
    registry.register(StateCollector(runtime))
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        larger_bodies={"/meters/": settings.max_meter_body_bytes},
        metrics=RequestMetrics(registry),
        request_log=settings.access_log,
    )
    app.include_router(accounts_router)
    app.include_router(health_router)
    app.include_router(openadr_router)
    for router in (
        customers_router,
        locations_router,
        devices_router,
        providers_router,
        build_flow_router(settings.connect_flow_path),
        web_router,
        auth_pages_router,
        connect_router,
        tariff_elements_router,
        tariffs_router,
        prices_router,
        zero_prices_router,
        schedules_router,
        audits_router,
        meters_router,
        costs_router,
        zero_audits_router,
        market_router,
        events_router,
        redelivery_router,
        webhooks_router,
        jwks_router,
        feeds_router,
    ):
        app.include_router(router)
    openapi.install(app)
    return app


def _method_not_allowed(app: FastAPI, request: Request) -> ApiError:
    """405 naming every operation of the path asked for, with all their methods in `Allow`.

    Starlette reports only the first route whose path matched; a path served by several routes
    (GET and PATCH /connect/{id}) is described whole, so the caller learns what it can do.
    """
    operations: list[tuple[str, str]] = []
    path = request.url.path
    for route in iter_route_contexts(app.router.routes):
        if route.matches(request.scope)[0] is Match.PARTIAL:
            operations += [(method, str(route.name)) for method in sorted(route.methods or ())]
            path = str(route.path_format)
    if not operations:
        code, message = _HTTP_CODES[405]
        return ApiError(405, code, message)
    named = ", ".join(f"{method} ({name})" for method, name in operations)
    allow = ", ".join(dict.fromkeys(method for method, _ in operations))
    return ApiError(
        405,
        "method_not_allowed",
        f"{request.method} is not allowed on {path}; it answers {named}.",
        headers={"Allow": allow},
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.scope, exc)

    @app.exception_handler(idempotency.Replay)
    async def _replay(request: Request, exc: idempotency.Replay) -> Response:
        headers = {"Idempotent-Replayed": "true"}
        return Response(exc.body, exc.status, headers=headers, media_type="application/json")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.scope, from_validation_errors(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return error_response(request.scope, _method_not_allowed(app, request))
        code, message = _HTTP_CODES.get(exc.status_code, (f"http_{exc.status_code}", exc.detail))
        error = ApiError(exc.status_code, code, str(message), headers=exc.headers)
        return error_response(request.scope, error)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # Last line of defence: wire models reject what the database cannot store, but a value
        # that slips through must not become a 500.
        log.warning("database refused a value: %s", exc.__class__.__name__, exc_info=True)
        error = ApiError(400, "data_invalid", "A value in the request cannot be stored.")
        return error_response(request.scope, error)

    async def _database_error(request: Request, exc: Exception) -> Response:
        log.warning("database error: %s", exc.__class__.__name__, exc_info=True)
        return error_response(request.scope, database_unavailable())

    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database_error)
