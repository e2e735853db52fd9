"""`POST /connect/flow`: the Connect flow API, authorised by the `connect_token` in the body.

There is no bearer token: a customer's browser calls this, often from another origin, with no
Content-Type (so a CORS "simple request"). The body is parsed as JSON whatever its type, and
every answer carries `Access-Control-Allow-Origin: *`; that is safe because no cookie or
header carries authority here, only the token in the body.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tariffconnect.config import Settings
from tariffconnect.connect.flow import direct, runner
from tariffconnect.connect.flow.protocol import FlowRequest, error_body, for_client, parse
from tariffconnect.core.errors import ApiError
from tariffconnect.core.ratelimit import RateLimits
from tariffconnect.core.threads import in_thread
from tariffconnect.runtime import Runtime, public_base_url, runtime_of

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    # A browser client may name its release; it may read the rate limit it met.
    "Access-Control-Allow-Headers": "Content-Type, Flatpeak-Version",
    "Access-Control-Expose-Headers": (
        "Flatpeak-Version, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
    ),
    "Access-Control-Max-Age": "86400",
    "Cache-Control": "no-store",
}


def build_router(path: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post(path, name="connect_flow")
    async def flow(request: Request) -> Response:
        body = await request.body()
        runtime = runtime_of(request)
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        base_url = public_base_url(request)
        settings = runtime.settings
        headers = dict(CORS_HEADERS)
        parsed: FlowRequest | None = None
        try:
            parsed = parse(body)  # small and quick: here, so that the limit can read its token
            if parsed.connect_token:  # counted per Connect token
                rate_limits: RateLimits = request.app.state.rate_limits
                verdict = rate_limits.hit("connect", parsed.connect_token[:64])
                headers |= {} if verdict is None else verdict.header_dict()
            status = 200
            deadline = _deadline(settings, waits=parsed.route in direct.MODULE_ROUTES)
            answer = await in_thread(_answer, runtime, parsed, base_url, seconds=deadline)
        except ApiError as refused:  # bad input, the flow's own errors, a limit, the deadline
            status, answer = _error(refused, parsed, request_id)
            headers |= refused.headers
        return Response(
            orjson.dumps(answer), status_code=status, media_type="application/json", headers=headers
        )

    @router.options(path, name="connect_flow_preflight")
    async def preflight() -> Response:
        return Response(status_code=204, headers=CORS_HEADERS)

    return router


def _answer(runtime: Runtime, request: FlowRequest, base_url: str) -> dict[str, Any]:
    """The next page for the client (in a worker thread); raises the flow's ApiErrors."""
    answer = runner.submit(runtime, request, base_url=base_url)
    return for_client(
        answer.page, release=answer.release, ended=answer.ended, asked_route=request.asked_route
    )


def _error(
    error: ApiError, request: FlowRequest | None, request_id: str
) -> tuple[int, dict[str, Any]]:
    return error.status, error_body(
        error,
        route=(request.asked_route or request.route) if request else None,
        connect_token=request.connect_token if request else None,
        request_id=request_id,
    )


class FlowHost:
    """Serve the flow as `POST /` of its own host name (`connect_flow_host`), as Flatpeak
    serves `https://connect.flatpeak.com`: requests to that host's root are routed to the
    flow path; everything else passes untouched."""

    def __init__(self, app: ASGIApp, *, host: str, path: str) -> None:
        self.app = app
        self.host = host.lower().encode()
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and self._host(scope) == self.host:
            scope = dict(scope, path=self.path, raw_path=self.path.encode())
        await self.app(scope, receive, send)

    @staticmethod
    def _host(scope: Scope) -> bytes:
        for name, value in scope.get("headers", []):
            if name == b"host":
                return bytes(value).split(b":", 1)[0].lower()
        return b""


SLACK_SECONDS = 1.0  # threads and the event loop between the phases


def _deadline(settings: Settings, *, waits: bool) -> float:
    """Seconds the answer may take. A DIRECT submit also waits for the provider: a built-in
    adapter's authorise before the transaction, and after it the first pull (the module's
    total time-out, then its own store transaction). So a consent that committed is never
    answered 503: the first pull ends first, and the customer gets the redirect."""
    transaction = settings.request_deadline_seconds
    if not waits:
        return float(transaction)
    module = settings.auth_module_timeout_seconds
    return float(transaction + module + module + transaction + SLACK_SECONDS)
