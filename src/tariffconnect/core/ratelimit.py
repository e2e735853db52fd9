"""Rate limits: per client address and per account on GET /login, per bearer token on the
API, per Connect token on the flow and the hosted pages, per feed token on the feeds.

Each limit is a setting in the `limits` library's notation ("60/minute", "10/second;300/minute")
and counted in a sliding window. The counters live in this process's memory, or in Redis when
TARIFFCONNECT_REDIS_URL is set, so that several processes (a cluster) share them and a limit
holds however requests are spread. A refused request is 429 `rate_limited` with `Retry-After`;
every limited answer carries the IETF draft's `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (seconds) of its tightest limit.

A failed login costs more than a good one (`rate_limit_login_failure_cost`): guessing keys
runs out after a few tries, an app logging in as it should never notices.

Keys are what a request names: the client's address, the account id of its Basic
credentials, a SHA-256 of its bearer token (never the token), its Connect token, a SHA-256 of
its feed token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError, error_response

log = logging.getLogger("tariffconnect.ratelimit")
LOGIN_PATH = "/login"
HOSTED_PAGES_PATH = "/connect/web"
FEEDS_PATH = "/feeds/"  # /feeds/{token}/…
SWEEP_EVERY = 1.0  # seconds between sweeps of expired in-memory counters


@dataclass(frozen=True, slots=True)
class Verdict:
    """A request counted against its limits: the headers to answer with."""

    limit: int
    remaining: int
    reset_seconds: int

    def header_dict(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (name.lower().encode(), value.encode()) for name, value in self.header_dict().items()
        ]


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage, its expired counters swept inline, at most once every
    SWEEP_EVERY seconds by the request that finds a sweep due.

    The library's own storage sweeps from a timer thread that it starts anew, 10 ms after the
    last, on every count it sees when that thread is not alive: under load about a hundred
    thread starts a second, measured at a tenth of a small request's CPU. (The hooks are the
    library's name-mangled private methods; `limits` is pinned in constraints.txt.)
    """

    def __init__(self) -> None:
        super().__init__()
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept >= SWEEP_EVERY:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class RateLimits:
    """The service's limits and the storage of their counters."""

    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            storage = storage_from_string(settings.redis_url, key_prefix="tariffconnect")
        else:
            storage = SweptMemoryStorage()
        if not isinstance(storage, Storage):  # an async storage ("async+redis://")
            raise ValueError("TARIFFCONNECT_REDIS_URL must be a redis:// URL")
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._limits: dict[str, Sequence[RateLimitItem]] = {
            "login_address": parse_many(settings.rate_limit_login_address),
            "login_account": parse_many(settings.rate_limit_login_account),
            "api": parse_many(settings.rate_limit_api),
            "connect": parse_many(settings.rate_limit_connect),
            "feed": parse_many(settings.rate_limit_feed),
        }
        self.failure_cost = settings.rate_limit_login_failure_cost

    def hit(self, kind: str, key: str) -> Verdict | None:
        """Count a request of `kind` for `key`; 429 `rate_limited` when a limit is reached.
        None when the counters cannot be reached (Redis down): then nothing is limited, since
        refusing every request would turn a counter outage into a service outage."""
        try:
            return self._hit(kind, key)
        except ApiError:
            raise
        except Exception:  # the storage's own errors: redis.ConnectionError, timeouts...
            log.warning("rate limit counters unavailable; request not limited", exc_info=True)
            return None

    def _hit(self, kind: str, key: str) -> Verdict:
        verdicts = []
        for item in self._limits[kind]:
            allowed = self._limiter.hit(item, kind, key)
            stats = self._limiter.get_window_stats(item, kind, key)
            reset = max(1, math.ceil(stats.reset_time - time.time()))
            verdict = Verdict(item.amount, max(0, stats.remaining), reset)
            if not allowed:
                raise ApiError(
                    429,
                    "rate_limited",
                    f"Too many requests; try again in {reset} s.",
                    headers={"Retry-After": str(reset), **verdict.header_dict()},
                )
            verdicts.append(verdict)
        return min(verdicts, key=lambda v: v.remaining / v.limit)

    def charge(self, kind: str, key: str, cost: int) -> None:
        """Count `cost` more against `key` (a failed login), refused or not."""
        try:
            for item in self._limits[kind]:
                self._limiter.hit(item, kind, key, cost=cost)
        except Exception:
            log.warning("rate limit counters unavailable", exc_info=True)


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _basic_account(authorization: str) -> str | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username[:64] or None


def _query_token(scope: Scope) -> str | None:
    query: bytes = scope.get("query_string", b"")
    for pair in query.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name == "fp_cot" and value:
            return value[:64]
    return None


class RateLimitGuard:
    """Counts each request against the limits its path and credentials name, before the app
    sees it; the Connect flow counts its own (its token is in the body: connect/flow)."""

    def __init__(self, app: ASGIApp, *, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        authorization = _header(scope, b"authorization")
        login: list[tuple[str, str]] = []
        try:
            if path == LOGIN_PATH:
                client = scope.get("client")
                login.append(("login_address", client[0] if client else "unknown"))
                account = _basic_account(authorization)
                if account is not None:
                    login.append(("login_account", account))
                found = [self.limits.hit(kind, key) for kind, key in login]
            elif path.startswith(FEEDS_PATH) and (
                feed_token := path[len(FEEDS_PATH) :].split("/")[0]
            ):
                found = [self.limits.hit("feed", token_key(feed_token))]
            elif authorization[:7].lower() == "bearer ":
                found = [self.limits.hit("api", token_key(authorization[7:].strip()))]
            elif path.startswith(HOSTED_PAGES_PATH) and (token := _query_token(scope)):
                found = [self.limits.hit("connect", token)]
            else:
                found = []
        except ApiError as refused:
            await error_response(scope, refused)(scope, receive, send)
            return
        verdicts = [verdict for verdict in found if verdict is not None]
        if not verdicts:
            await self.app(scope, receive, send)
            return
        tightest = min(verdicts, key=lambda v: v.remaining / v.limit)

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *tightest.headers()]
                if login and message["status"] == 401:
                    for kind, key in login:
                        self.limits.charge(kind, key, self.limits.failure_cost - 1)
            await send(message)

        await self.app(scope, receive, send_counted)
