"""Flatpeak's releases (`Flatpeak-Version`), which release answers a request, and how its
field names differ.

A request's release is its `Flatpeak-Version` header, else its account's default (carried in
the bearer token). An operation that only some releases had (`POST /connect/tariff/token` is
zero's) is answered in its own newest release when the request did not ask for one, and is
404 when the request asked for a release without it. Every answer says which release
answered, in its own `Flatpeak-Version` header. See docs/api-versions.md.

TariffConnect builds its answers once, in the names anode and busbar share; `ReleaseMiddleware`
rewrites them into an older release's names on the way out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tariffconnect.core.errors import ApiError, error_response, not_found

HEADER = "Flatpeak-Version"
ZERO = "2024-08-24.zero"
ANODE = "2025-09-14.anode"
# Flatpeak has published no version string for busbar; this is TariffConnect's name for it.
BUSBAR = "2026-01-01.busbar"
RELEASES = (ZERO, ANODE, BUSBAR)  # oldest first
DEFAULT = BUSBAR
# The request state keys: the release asked for in the header (or None), the one answering.
REQUESTED = "flatpeak_version_requested"
ANSWERING = "flatpeak_version"

# Field names that differ, as TariffConnect's (anode's and busbar's) name -> zero's.
ZERO_NAMES = {
    "tariff_direction": "direction",
    "tariff_type": "type",
    "connect_url": "connect_web_uri",
    "callback_url": "callback_uri",
}
# Objects whose `tariff_elements` are ids before busbar (busbar lists them as objects).
_ELEMENT_OWNERS = {"location", "location_status"}

# Operation name -> the releases that had it; an operation not named here is in every release.
_ONLY: dict[str, tuple[str, ...]] = {}


def only_in(*releases: str, names: Iterable[str]) -> None:
    """Declare that the operations `names` exist only in `releases`."""
    unknown = set(releases) - set(RELEASES)
    if unknown:
        raise ValueError(f"unknown releases {sorted(unknown)}")
    for name in names:
        _ONLY[name] = tuple(r for r in RELEASES if r in releases)


def releases_of(operation: str) -> tuple[str, ...]:
    """The releases that have `operation`, oldest first."""
    return _ONLY.get(operation, RELEASES)


def is_known(value: str) -> bool:
    return value in RELEASES


def of_state(state: dict[str, Any]) -> str:
    """The release answering the request whose state this is."""
    return str(state.get(ANSWERING) or state.get(REQUESTED) or DEFAULT)


def of_scope(scope: Scope) -> str:
    """The release answering this request, also before ReleaseMiddleware read its header (an
    answer of the outer guard: 413, 500)."""
    state = scope.get("state", {})
    if state.get(ANSWERING) or state.get(REQUESTED):
        return of_state(state)
    requested = _header(scope)
    return requested if requested is not None and is_known(requested) else DEFAULT


def answering(
    *, operation: str, method: str, path: str, requested: str | None, default: str | None
) -> str:
    """The release that answers `operation`: the one asked for (404 when it lacks the
    operation), else the account's default if it has the operation, else the operation's
    newest release."""
    have = releases_of(operation)
    if requested is not None:
        if requested not in have:
            raise not_found(
                "route_not_found",
                f"{method} {path} is not part of release {requested}; it is in {', '.join(have)}.",
            )
        return requested
    chosen = default if default in RELEASES else DEFAULT
    return chosen if chosen in have else have[-1]


def rewrite(value: Any, release: str) -> Any:
    """An answer built in TariffConnect's names, in `release`'s."""
    if release == BUSBAR:
        return value
    if isinstance(value, list):
        return [rewrite(item, release) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for key, item in value.items():
        if key == "tariff_elements" and value.get("object") in _ELEMENT_OWNERS:
            item = [e["tariff_id"] if isinstance(e, dict) else e for e in item or []]
        name = ZERO_NAMES.get(key, key) if release == ZERO else key
        if name != key and name in value:
            name = key  # the older name means something else here: keep ours
        out[name] = rewrite(item, release)
    return out


def _needs_rewrite(body: bytes, release: str) -> bool:
    if release == BUSBAR:
        return False
    if b'"tariff_elements"' in body:
        return True
    return release == ZERO and any(f'"{key}"'.encode() in body for key in ZERO_NAMES)


class ReleaseMiddleware:
    """Reads `Flatpeak-Version` (400 `version_invalid` for a release not known), answers it
    back on every response, and rewrites JSON answers of API operations into the answering
    release's names (the authentication dependency decides the release: `ANSWERING`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        requested = _header(scope)
        state[REQUESTED] = requested
        if requested is not None and not is_known(requested):
            state[REQUESTED] = None
            error = ApiError(
                400,
                "version_invalid",
                f"{HEADER} {requested!r} is not a known release; use one of {', '.join(RELEASES)}.",
                context="api.request",
            )
            await error_response(scope, error)(scope, receive, self._sender(scope, send))
            return
        await self.app(scope, receive, self._sender(scope, send))

    def _sender(self, scope: Scope, send: Send) -> Send:
        state = scope["state"]
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_release(message: Message) -> None:
            nonlocal start
            release = of_state(state)
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[HEADER] = release
                if state.get(ANSWERING) and release != BUSBAR and _is_json(headers):
                    start = message  # held until the whole body is here
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if _needs_rewrite(body, release):
                body = orjson.dumps(rewrite(orjson.loads(body), release))
                MutableHeaders(scope=start)["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        return send_with_release


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"flatpeak-version":
            return bytes(value).decode("latin-1").strip()
    return None


def _is_json(headers: MutableHeaders) -> bool:
    return headers.get("content-type", "").startswith("application/json")
