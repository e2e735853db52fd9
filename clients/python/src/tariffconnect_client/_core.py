"""What `Client` and `AsyncClient` share and that does no I/O: requests, retries, tokens, errors.

The two clients differ only in how they wait and send (`time.sleep` and httpx.Client against
`asyncio.sleep` and httpx.AsyncClient); every decision is made here, once.
"""

from __future__ import annotations

import email.utils
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from tariffconnect_client import errors
from tariffconnect_client._version import __version__

DEFAULT_BASE_URL = "https://api.flatpeak.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
# Statuses that mean "later, not never": the rate limit, and a service that is unavailable.
RETRY_STATUSES = frozenset({429, 503})
# A Retry-After beyond this is not slept on: the caller gets the RateLimitError instead.
MAX_RETRY_AFTER = 60.0
# Methods whose retries are safe only with an Idempotency-Key (the service honours it on both).
KEYED_METHODS = frozenset({"POST", "PATCH"})
# A bearer token is replaced this long before it expires (or a tenth of its lifetime, if less),
# so a request never leaves with a token that lapses on the way.
REFRESH_MARGIN = 60.0
USER_AGENT = f"tariffconnect-client/{__version__} (python; httpx)"


@dataclass(frozen=True)
class Call:
    """One API operation: what to send and how to read the answer."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def request_headers(self) -> dict[str, str]:
        """The call's own headers; a POST or PATCH gets an Idempotency-Key, kept for retries."""
        headers = dict(self.headers)
        if self.method in KEYED_METHODS:
            headers["Idempotency-Key"] = self.idempotency_key or f"tcc_{uuid.uuid4().hex}"
        return headers

    def query(self) -> dict[str, Any]:
        return {k: wire(v) for k, v in (self.params or {}).items() if v is not None}


def wire(value: Any) -> Any:
    """A value as JSON sends it: datetimes as RFC 3339 (they must carry an offset)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset; the API needs one (RFC 3339)")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [wire(item) for item in value]
    return value


def body_of(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments as a JSON body; a trailing underscore (`import_`) is the wire name."""
    return {key.removesuffix("_"): wire(value) for key, value in fields.items()}


@dataclass
class Token:
    """The bearer token and when to replace it (monotonic clock)."""

    value: str | None = field(default=None, repr=False)
    refresh_at: float = 0.0

    def fresh(self) -> bool:
        return self.value is not None and time.monotonic() < self.refresh_at

    def store(self, answer: httpx.Response) -> None:
        body = answer.json()
        lifetime = float(body["expires_in"])
        self.value = str(body["bearer_token"])
        self.refresh_at = time.monotonic() + lifetime - min(REFRESH_MARGIN, lifetime / 10)

    def clear(self) -> None:
        self.value = None


@dataclass(frozen=True)
class Settings:
    """A client's configuration, the same for both clients."""

    account_id: str
    api_key: str = field(repr=False)  # a secret: never in a repr, a log line or a traceback
    base_url: str
    timeout: float
    max_retries: int
    flatpeak_version: str | None

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.flatpeak_version:
            headers["Flatpeak-Version"] = self.flatpeak_version
        return headers

    def login_auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.account_id, self.api_key)


def settings(
    *,
    account_id: str,
    api_key: str,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    flatpeak_version: str | None,
) -> Settings:
    if not account_id or not api_key:
        raise ValueError("account_id and api_key are required")
    if max_retries < 0:
        raise ValueError("max_retries must be 0 or more")
    return Settings(
        account_id=account_id,
        api_key=api_key,
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
        timeout=timeout,
        max_retries=max_retries,
        flatpeak_version=flatpeak_version,
    )


def retry_delay(response: httpx.Response | None, attempt: int, max_retries: int) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to stop retrying.

    `response` is None when no answer came (a connection error or a time-out). A 429 or 503
    waits what its Retry-After says; otherwise the wait doubles from half a second, with
    jitter so that many clients refused at once do not come back at once.
    """
    if attempt >= max_retries:
        return None
    if response is not None and response.status_code not in RETRY_STATUSES:
        return None
    if response is not None and (after := retry_after(response)) is not None:
        return after if after <= MAX_RETRY_AFTER else None
    return min(0.5 * 2.0**attempt, 8.0) * random.uniform(0.75, 1.25)  # noqa: S311 (jitter)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(moment.timestamp()) - time.time())


def is_expired_token(response: httpx.Response) -> bool:
    """A 401 for the bearer token itself (not for the key): logging in again may cure it."""
    if response.status_code != 401:
        return False
    return error_code(response) in {"bearer_token_expired", "bearer_token_invalid"}


def error_code(response: httpx.Response) -> str | None:
    body = _json_or_none(response)
    if isinstance(body, dict) and body.get("object") == "error":
        code = body.get("code")
        return code if isinstance(code, str) else None
    return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def result(response: httpx.Response) -> Any:
    """The answer's JSON, or the typed exception for an error object, whatever the status."""
    body = _json_or_none(response)
    if isinstance(body, dict) and body.get("object") == "error":
        raise error_from(response, body)
    if not response.is_success or (body is None and response.content):
        raise errors.error_class(response.status_code)(
            status=response.status_code,
            code="unexpected_response",
            message=f"HTTP {response.status_code} without an error object",
            request_id=response.headers.get("Request-Id"),
            body=response.text[:2000],
            headers=dict(response.headers),
        )
    return body


def error_from(response: httpx.Response, body: dict[str, Any]) -> errors.APIError:
    cls = errors.error_class(response.status_code)
    return cls(
        status=response.status_code,
        code=str(body.get("code") or "unknown_error"),
        message=str(body.get("message") or ""),
        request_id=body.get("request_id") or response.headers.get("Request-Id"),
        type=body.get("type"),
        context=body.get("context"),
        body=body,
        headers=dict(response.headers),
    )


def connection_error(error: httpx.HTTPError) -> errors.APIConnectionError:
    # The cause stays chained (`raise ... from error`) for whoever debugs it.
    return errors.APIConnectionError(f"no answer from the API ({type(error).__name__})")
