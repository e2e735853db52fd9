"""The SDK's exceptions: one tree, so `except TariffConnectError` catches everything it raises.

An answer that carries the service's error object (`{"object": "error", "code", ...}`) becomes an
`APIError` subclass chosen by its status, whatever that status is; an answer without one (a
proxy's HTML page) becomes a plain `APIError` with the code `unexpected_response`.
"""

from __future__ import annotations

from typing import Any


class TariffConnectError(Exception):
    """The base of every exception the SDK raises."""


class APIConnectionError(TariffConnectError):
    """No answer: the connection failed or timed out (after the retries)."""


class APIError(TariffConnectError):
    """The server answered with an error; `code` is stable, `message` is for people."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        request_id: str | None,
        type: str | None = None,
        context: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.type = type
        self.context = context
        self.body = body
        self.headers = headers or {}


class InvalidRequestError(APIError):
    """400: the request is malformed (a missing, unknown or invalid field)."""


class AuthenticationError(APIError):
    """401: unknown credentials, a revoked key, an invalid or expired token."""


class PermissionDeniedError(APIError):
    """403."""


class NotFoundError(APIError):
    """404: no such object for this account and mode (or no such route)."""


class ConflictError(APIError):
    """409: for example an idempotency key reused with another request."""


class UnprocessableError(APIError):
    """422: a well-formed request the current state cannot serve (`no_tariff_connected`)."""


class RateLimitError(APIError):
    """429: too many requests; raised once the retries are used up."""


class ServerError(APIError):
    """5xx: the service failed or is unavailable; raised once the retries are used up."""


class WebhookVerificationError(TariffConnectError):
    """A webhook whose signature, timestamp or keys could not be verified: reject it."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIError]:
    """The exception for a status: 5xx are `ServerError`, unknown ones plain `APIError`."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
