"""The outermost guard around every request: request ids, header and body size limits, and
the last-resort 500.

A pure ASGI middleware (not BaseHTTPMiddleware) so it adds no task switch per request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tariffconnect.core import logs, versions
from tariffconnect.core.errors import ApiError, error_response
from tariffconnect.core.metrics import RequestMetrics

log = logging.getLogger("tariffconnect.request")
RELEASE_HEADER = versions.HEADER.lower().encode()
# Request headers beyond these are refused (431) before any handler or dependency reads them.
# (The HTTP server has parsed them by then; a proxy in front bounds that: docs/operations.md.)
MAX_HEADER_FIELDS = 100
MAX_HEADER_BYTES = 64 * 1024


def _header_bytes(headers: list[tuple[bytes, bytes]]) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers)  # ": " and CRLF


def new_request_id() -> str:
    # Not secrets.token_hex: a request id is no secret, and os.urandom lets go of the GIL,
    # which a busy worker thread then holds for up to its 5 ms switch interval.
    return f"req_{random.getrandbits(96):024x}"


class RequestGuard:
    """`larger_bodies` maps path prefixes to a body limit of their own (meter batches)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        larger_bodies: Mapping[str, int] | None = None,
        metrics: RequestMetrics | None = None,
        request_log: bool = False,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = tuple((larger_bodies or {}).items())
        self.metrics = metrics
        self.request_log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        context = logs.request_id.set(request_id)
        began, status = time.perf_counter(), 500

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._guard(scope, receive, send_seen, request_id)
        finally:
            self._account(scope, status, time.perf_counter() - began)
            logs.request_id.reset(context)

    def _account(self, scope: Scope, status: int, seconds: float) -> None:
        """Count the answer and, with the request log on, log it: the route's template (never
        the path itself, whose ids and query could say too much), method, status, time."""
        route = str(getattr(scope.get("route"), "path_format", None) or "unmatched")
        method = str(scope.get("method", ""))
        if self.metrics is not None:
            self.metrics.observe(route=route, method=method, status=status, seconds=seconds)
        if self.request_log:
            log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "route": route,
                    "method": method,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )

    async def _guard(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        request_id_header = (b"request-id", request_id.encode())
        started = False
        answered_by_guard = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if answered_by_guard:
                return  # the guard already answered; whatever the app says now is dropped
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), request_id_header]
                if not any(name.lower() == RELEASE_HEADER for name, _ in headers):
                    # The guard's own answer (413, 500): it too names its release.
                    headers.append((RELEASE_HEADER, versions.of_scope(scope).encode()))
                message["headers"] = headers
            await send(message)

        async def answer(error: ApiError) -> None:
            nonlocal answered_by_guard
            await error_response(scope, error)(scope, receive, send_with_id)
            answered_by_guard = True

        headers = scope.get("headers", [])
        if len(headers) > MAX_HEADER_FIELDS or _header_bytes(headers) > MAX_HEADER_BYTES:
            await answer(
                ApiError(
                    431,
                    "request_headers_too_large",
                    f"Send at most {MAX_HEADER_FIELDS} header fields and"
                    f" {MAX_HEADER_BYTES // 1024} KiB of headers.",
                )
            )
            return

        path = scope.get("path", "")
        limit = next(
            (size for prefix, size in self.larger_bodies if path.startswith(prefix)),
            self.max_body_bytes,
        )

        def too_large() -> ApiError:
            return ApiError(
                413, "request_too_large", f"The request body must not exceed {limit} bytes."
            )

        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await answer(too_large())
                return

        received = 0

        async def limited_receive() -> Message:
            # Content-Length can be absent (chunked) or lie: count what actually arrives, and
            # past the limit answer 413 and tell the app the client went away.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not answered_by_guard:
                    await answer(too_large())
                if answered_by_guard:
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, limited_receive, send_with_id)
        except Exception:
            if answered_by_guard:
                return
            log.exception("unhandled error in request %s", request_id)
            if not started:
                await answer(ApiError(500, "internal_error", "An unexpected error occurred."))
