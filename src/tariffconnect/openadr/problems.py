"""Errors as OpenADR 3 answers them: the Problem object of RFC 7807
(`{type, title, status, detail, instance}`, `application/problem+json`), with the project's
stable `code` as an extension member and in the `type` URN.

Routes under /openadr/3.0/ use `ProblemRoute`, so an `ApiError` raised by the services they
call (a location's `no_tariff_connected`, a validation failure) is answered in this format
rather than as Flatpeak's error object: a VEN reads one format only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError

from tariffconnect.auth.routing import ApiRoute
from tariffconnect.core.errors import (
    DATABASE_ERRORS,
    ApiError,
    database_unavailable,
    from_validation_errors,
)

log = logging.getLogger("tariffconnect.openadr")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tariffconnect:problem:"


def problem(error: ApiError, *, instance: str) -> Response:
    """The Problem answer for `error`. The token endpoint's errors also carry OAuth 2's
    `error` member (RFC 6749 section 5.2), which OAuth client libraries read."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + error.code,
        "title": HTTPStatus(error.status).phrase,
        "status": error.status,
        "detail": error.message,
        "instance": instance,
        "code": error.code,
    }
    if isinstance(error, OAuthError):
        body["error"] = error.oauth_error
        body["error_description"] = error.message
    return Response(
        orjson.dumps(body), status_code=error.status, headers=error.headers, media_type=MEDIA_TYPE
    )


class OAuthError(ApiError):
    """A token endpoint error: a Problem that also names OAuth 2's error code."""

    def __init__(self, status: int, oauth_error: str, detail: str, **kwargs: Any) -> None:
        super().__init__(status, oauth_error, detail, **kwargs)
        self.oauth_error = oauth_error


def unauthorized(code: str, detail: str) -> ApiError:
    return ApiError(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="openadr"'})


def not_offered(what: str) -> ApiError:
    """501 for a part of OpenADR this VTN does not offer."""
    return ApiError(501, f"{what}_not_supported", f"This VTN does not offer {what}; poll instead.")


class ProblemRoute(ApiRoute):
    """An ApiRoute (one worker-thread hop per request) whose errors are Problem answers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return problem(error, instance=request.url.path)
            except RequestValidationError as error:
                invalid = from_validation_errors(error.errors())
                return problem(invalid, instance=request.url.path)
            except DATABASE_ERRORS as error:
                log.warning("database error: %s", error.__class__.__name__, exc_info=True)
                return problem(database_unavailable(), instance=request.url.path)

        return answer
