"""The one error type, `ApiError`, and how every error is rendered on the wire.

Every non-2xx answer is Flatpeak's error object:
`{object, type, code, message, context, live_mode, request_id, time_created}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response
from starlette.types import Scope

from tariffconnect.core.timeutil import format_utc, utcnow


class ApiError(Exception):
    """An error answered to the caller: HTTP status, a stable code and a readable message.

    `context` and `live_mode` are for callers the route cannot describe: the Connect flow
    answers `connect.<route>` and the mode of the session its token names (it has no bearer
    token). Left None, the error object takes the route's name and the token's mode.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        context: str | None = None,
        live_mode: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.context = context
        self.live_mode = live_mode

    @property
    def type(self) -> str:
        return "api_error" if self.status >= 500 else "invalid_request"


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def invalid(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, code, message)


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


# Connection lost, server down, SQLite busy past its timeout, no pooled connection free in
# time: the database is unavailable, and the request worth retrying later.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, PoolTimeout)


def database_unavailable() -> ApiError:
    """The 503 answered for any of DATABASE_ERRORS (the caller logs the cause)."""
    return ApiError(503, "database_unavailable", "The database is unavailable; try again.")


class ErrorObject(BaseModel):
    """The error object every non-2xx response carries."""

    object: str = Field("error", examples=["error"])
    type: str = Field(examples=["invalid_request"], description="invalid_request or api_error")
    code: str = Field(examples=["location_id_missing"])
    message: str = Field(examples=["location_id: Field required"])
    context: str = Field(examples=["api.connect_session_create"])
    live_mode: bool
    request_id: str = Field(examples=["req_0192f4d1a2b3c4d5e6f7a8b9"])
    time_created: str = Field(examples=["2023-05-05T18:37:27Z"])


def operation_context(scope: Scope) -> str:
    """`api.<operation>`: the matched route's name, so errors say which operation failed."""
    route = scope.get("route")
    name = getattr(route, "name", None)
    return f"api.{name}" if name else "api.request"


def error_object(
    error: ApiError,
    *,
    context: str,
    live_mode: bool,
    request_id: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The error object's fields, in their wire order; `extra` follows `context`."""
    return {
        "object": "error",
        "type": error.type,
        "code": error.code,
        "message": error.message,
        "context": context,
        **(extra or {}),
        "live_mode": live_mode,
        "request_id": request_id,
        "time_created": format_utc(utcnow()),
    }


def error_response(scope: Scope, error: ApiError) -> Response:
    state = scope.setdefault("state", {})
    live_mode = error.live_mode if error.live_mode is not None else state.get("live_mode", False)
    body = error_object(
        error,
        context=error.context or operation_context(scope),
        live_mode=bool(live_mode),
        request_id=str(state.get("request_id", "")),
    )
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


_LOCATION_KINDS = {"body", "query", "path", "header", "cookie"}


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """Turn pydantic/FastAPI validation errors into one ApiError with a stable code.

    Codes name the field at fault: `<field>_missing`, `<field>_unknown` (a field the schema does
    not have), `<field>_invalid` (wrong type or value); a body that is not JSON, or not a JSON
    object, is `data_json_invalid`.
    """
    first = errors[0]
    kind = str(first.get("type", ""))
    loc = [part for part in first.get("loc", ()) if part not in _LOCATION_KINDS]
    if kind == "json_invalid" or (not loc and first.get("loc", ("",))[0] == "body"):
        return invalid("data_json_invalid", "The request body must be a JSON object.")
    names = [str(part) for part in loc if isinstance(part, str)]
    field = names[-1] if names else "data"
    path = ".".join(str(part) for part in loc) or field
    msg = str(first.get("msg", "is invalid"))
    if kind == "missing":
        return invalid(f"{field}_missing", f"{path} is required.")
    if kind == "extra_forbidden":
        return invalid(f"{field}_unknown", f"{path} is not a known field.")
    return invalid(f"{field}_invalid", f"{path}: {msg}")
