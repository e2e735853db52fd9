"""The one error type, `ApiError`, and how every error is rendered on the wire.

Every non-2xx answer is Flatpeak's error object:
`{object, type, code, message, context, live_mode, request_id, time_created}`; an answer to
input with several problems adds `errors`, every problem with the field it is about (the
first is `code` and `message`, so a client that reads only those sees what it always saw).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response
from starlette.types import Scope

from tariffconnect.core.timeutil import format_utc, utcnow

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a request's input: `field` is its path in the input (`hours[1].cost`,
    `postal_address.city`), None when no one field is at fault."""

    code: str
    message: str
    field: str | None = None

    def wire(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


# At most this many problems are listed in an error object's `errors`.
MAX_PROBLEMS = 50


class ApiError(Exception):
    """An error answered to the caller: HTTP status, a stable code and a readable message.

    `context` and `live_mode` are for callers the route cannot describe: the Connect flow
    answers `connect.<route>` and the mode of the session its token names (it has no bearer
    token). Left None, the error object takes the route's name and the token's mode.
    `problems` lists every problem of the input when it was checked as a whole (the first is
    `code` and `message`); the error object then carries them as `errors`, the first
    MAX_PROBLEMS of them (a small request must not buy a huge answer).
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
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.context = context
        self.live_mode = live_mode
        self.problems = tuple(problems[:MAX_PROBLEMS])

    @property
    def type(self) -> str:
        return "api_error" if self.status >= 500 else "invalid_request"


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def invalid(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, code, message)


def invalid_input(problems: Sequence[Problem]) -> ApiError:
    """The 400 for input with every problem in `problems` (at least one): the first is the
    error's code and message."""
    first = problems[0]
    return ApiError(400, first.code, first.message, problems=problems)


class Problems:
    """Every problem of one input, found by checks that go on after the first problem."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, error: ApiError) -> None:
        """Keep `error`: its own problems, or the error itself (about no one field)."""
        self.found.extend(error.problems or [Problem(error.code, error.message)])

    def attempt(self, check: Callable[[], T]) -> T | None:
        """What `check()` answers; None when it raised ApiError, which is kept."""
        try:
            return check()
        except ApiError as error:
            self.add(error)
            return None

    def raise_found(self) -> None:
        """Raise them all as one error, if any were found."""
        if self.found:
            raise invalid_input(self.found)


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


# Connection lost, server down, SQLite busy past its timeout, no pooled connection free in
# time: the database is unavailable, and the request worth retrying later.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, PoolTimeout)


def database_unavailable() -> ApiError:
    """The 503 answered for any of DATABASE_ERRORS (the caller logs the cause)."""
    return ApiError(503, "database_unavailable", "The database is unavailable; try again.")


class ProblemOut(BaseModel):
    """One problem in an error object's `errors`."""

    code: str = Field(examples=["post_code_missing"])
    message: str = Field(examples=["postal_address.post_code is required."])
    field: str | None = Field(examples=["postal_address.post_code"])


class ErrorObject(BaseModel):
    """The error object every non-2xx response carries."""

    object: str = Field("error", examples=["error"])
    type: str = Field(examples=["invalid_request"], description="invalid_request or api_error")
    code: str = Field(examples=["location_id_missing"])
    message: str = Field(examples=["location_id: Field required"])
    errors: list[ProblemOut] = Field(
        default=[],
        description="Field validation only: every problem found (the first is code and "
        "message), each with the path of its field.",
    )
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
    problems: Sequence[Problem] = (),
) -> dict[str, Any]:
    """The error object's fields, in their wire order; `errors` (the error's problems, or
    `problems` for one that lists none) follows `message`, `extra` follows `context`."""
    listed = error.problems or tuple(problems)
    errors = {"errors": [problem.wire() for problem in listed]} if listed else {}
    return {
        "object": "error",
        "type": error.type,
        "code": error.code,
        "message": error.message,
        **errors,
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
    """Turn pydantic/FastAPI validation errors into one ApiError with a stable code, listing
    every one of them as its problems (the first is the error's code and message).

    Codes name the field at fault: `<field>_missing`, `<field>_unknown` (a field the schema does
    not have), `<field>_invalid` (wrong type or value); a body that is not JSON, or not a JSON
    object, is `data_json_invalid`.
    """
    problems: list[Problem] = []
    for error in errors:
        problem = _problem_of(error)
        if problem.code == "data_json_invalid":
            return invalid_input([problem])
        if problem not in problems:  # a union answers one error per member it tried
            problems.append(problem)
    return invalid_input(problems)


def _problem_of(error: Mapping[str, Any]) -> Problem:
    kind = str(error.get("type", ""))
    loc = [part for part in error.get("loc", ()) if part not in _LOCATION_KINDS]
    if kind == "json_invalid" or (not loc and error.get("loc", ("",))[0] == "body"):
        return Problem("data_json_invalid", "The request body must be a JSON object.")
    names = [str(part) for part in loc if isinstance(part, str)]
    field = names[-1] if names else "data"
    path = ".".join(str(part) for part in loc) or field
    at = _field_path(loc) or None
    msg = str(error.get("msg", "is invalid"))
    if kind == "missing":
        return Problem(f"{field}_missing", f"{path} is required.", at)
    if kind == "extra_forbidden":
        return Problem(f"{field}_unknown", f"{path} is not a known field.", at)
    return Problem(f"{field}_invalid", f"{path}: {msg}", at)


def _field_path(loc: Sequence[Any]) -> str:
    """`schedule[0].months`: names joined by dots, list positions in brackets."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
