"""ApiRoute: runs each authenticated handler inside the request's one transaction.

A handler that takes `api: Api` is wrapped so that, in the worker thread that runs it, the
transaction opens (checking the token's key), the handler runs, and the transaction commits
before the answer leaves: a failed commit becomes an error answer, never a false success.
One thread-pool crossing per request (plain handlers without Api get the same single hop), and
no pooled connection held while waiting for a thread. The hop has a deadline
(`request_deadline_seconds`, core/threads.py): past it the client gets 503.
A coroutine handler (an answer made from memory) runs on the event loop instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar, get_args, get_type_hints

from fastapi import APIRouter, Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.responses import JSONResponse, Response

from tariffconnect.auth.context import ApiContext, api_context
from tariffconnect.config import Settings
from tariffconnect.core.threads import in_thread
from tariffconnect.db.database import retry_read
from tariffconnect.runtime import runtime_of

# For a handler that takes neither Api nor the Request (none does today): the setting's default.
DEFAULT_DEADLINE: float = Settings.model_fields["request_deadline_seconds"].default
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_ONLY = "__tariffconnect_read_only__"
_DEADLINE = "__tariffconnect_deadline__"
F = TypeVar("F", bound=Callable[..., Any])


def answers_within(seconds: float) -> Callable[[F], F]:
    """Give a handler a shorter deadline than the request deadline (GET /health: a monitor
    must hear within 2 s whatever the database does)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _DEADLINE, seconds)
        return endpoint

    return mark


def reads_only(endpoint: F) -> F:
    """Mark a POST handler that computes an answer and writes nothing (prices, schedules,
    audits): it runs in a read transaction, so on SQLite it never queues for the one writer."""
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


def _api_parameter(endpoint: Callable[..., Any]) -> str | None:
    hints = get_type_hints(endpoint, include_extras=True)
    for name, hint in hints.items():
        if hint is ApiContext or ApiContext in get_args(hint):
            return name
    return None


def in_transaction(endpoint: Callable[..., Any], *, write: bool) -> Callable[..., Any]:
    """Wrap a plain-function `endpoint` to run in one worker-thread hop, inside the request's
    transaction when it takes an ApiContext.

    FastAPI would run a plain function in the thread pool and then hop again to validate its
    answer; handing it a coroutine that does the one hop itself avoids the second crossing.
    """
    if inspect.iscoroutinefunction(endpoint):
        return _on_the_loop(endpoint)
    name = _api_parameter(endpoint)

    def run(*args: Any, **kwargs: Any) -> Any:
        if name is None:
            return endpoint(*args, **kwargs)
        api: ApiContext = kwargs[name]

        def in_its_transaction() -> Any:
            with api.transaction(write=write):
                return endpoint(*args, **kwargs)

        return in_its_transaction() if write else retry_read(in_its_transaction)

    own_deadline = getattr(endpoint, _DEADLINE, None)

    @functools.wraps(endpoint)
    async def run_once(*args: Any, **kwargs: Any) -> Any:
        seconds = _request_deadline(kwargs.values())
        if own_deadline is not None:
            seconds = min(seconds, own_deadline)
        return await in_thread(functools.partial(run, *args, **kwargs), seconds=seconds)

    return run_once


def _on_the_loop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A coroutine handler runs on the event loop, with no thread hop and no transaction: for
    answers made from memory (GET /account). One taking Api gets its token's key checked first,
    from the key states when they can answer, else in one short read transaction in a thread."""
    name = _api_parameter(endpoint)
    if name is None:
        return endpoint

    @functools.wraps(endpoint)
    async def checked(*args: Any, **kwargs: Any) -> Any:
        api: ApiContext = kwargs[name]
        if not api.key_in_memory():
            seconds = api.runtime.settings.request_deadline_seconds
            await in_thread(retry_read, api.check_key, seconds=seconds)
        return await endpoint(*args, **kwargs)

    return checked


def _request_deadline(arguments: Iterable[Any]) -> float:
    """The service's request deadline, from the settings a handler's arguments reach."""
    for value in arguments:
        if isinstance(value, ApiContext):
            return value.runtime.settings.request_deadline_seconds
        if isinstance(value, Request):
            return runtime_of(value).settings.request_deadline_seconds
    return DEFAULT_DEADLINE


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = set(kwargs.get("methods") or ["GET"])
        write = not methods <= SAFE_METHODS and not getattr(endpoint, _READ_ONLY, False)
        super().__init__(path, in_transaction(endpoint, write=write), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, or for a handler taking only `Api` and path parameters (most
        reads and deletes of one object) the same steps without the general machinery.

        FastAPI's dependency resolution (`solve_dependencies`, once for the route and once
        for `api_context`) and its handler cost more than GET /account's own work
        (bench/RESULTS.md, issue 17). Such a route needs only: the bearer scheme called on
        the request, the path parameters validated by the same fields, the handler awaited
        and its answer serialised as FastAPI would. The route keeps its dependant, so
        /openapi.json is unchanged; anything else (a body, query or header parameters, the
        Request, a dependency override) takes FastAPI's own handler.
        """
        standard = super().get_route_handler()
        # An included route builds its handler with its inclusion's context (FastAPI sets
        # it for the duration of this call): read what that context resolved.
        route: Any = _including_context(self)
        if not _only_api_and_path(route.dependant) or route.body_field is not None:
            return standard
        if not isinstance(route.response_class, DefaultPlaceholder):
            return standard
        if route.response_class.value is not JSONResponse:
            return standard
        return _direct_handler(
            dependant=route.dependant,
            standard=standard,
            status_code=route.status_code,
            response_field=route.response_field,
            overrides=route.dependency_overrides_provider,
            serialize_options={
                "include": route.response_model_include,
                "exclude": route.response_model_exclude,
                "by_alias": route.response_model_by_alias,
                "exclude_unset": route.response_model_exclude_unset,
                "exclude_defaults": route.response_model_exclude_defaults,
                "exclude_none": route.response_model_exclude_none,
            },
        )


def _including_context(route: APIRoute) -> Any:
    from fastapi import routing

    context_var = getattr(routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    if context is not None and getattr(context, "original_route", None) is route:
        return context
    return route


def _only_api_and_path(dependant: Dependant) -> bool:
    """The dependant takes `Api` (the bearer scheme, nothing else) and path parameters."""
    if dependant.query_params or dependant.header_params or dependant.cookie_params:
        return False
    if dependant.body_params or len(dependant.dependencies) != 1:
        return False
    own_names = (
        dependant.request_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    if any(name is not None for name in own_names):
        return False
    scheme = dependant.dependencies[0]
    if scheme.call is not api_context or scheme.name is None:
        return False
    if scheme.dependencies or scheme.path_params or scheme.query_params:
        return False
    if scheme.header_params or scheme.cookie_params or scheme.body_params:
        return False
    return inspect.iscoroutinefunction(dependant.call)


def _direct_handler(
    *,
    dependant: Dependant,
    standard: Callable[[Request], Coroutine[Any, Any, Response]],
    status_code: int | None,
    response_field: Any,
    overrides: Any,
    serialize_options: dict[str, Any],
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    call = dependant.call
    assert call is not None and dependant.dependencies[0].name is not None
    api_name = dependant.dependencies[0].name
    path_fields = dependant.path_params
    status = 200 if status_code is None else status_code  # FastAPI's: the classes' default

    async def handle(request: Request) -> Response:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            return await standard(request)
        values: dict[str, Any] = {api_name: await api_context(request)}
        if path_fields:
            path_values, errors = request_params_to_args(path_fields, request.path_params)
            if errors:
                raise RequestValidationError(errors, body=None)
            values.update(path_values)
        answer = await call(**values)
        if isinstance(answer, Response):
            return answer
        content = await serialize_response(
            field=response_field,
            response_content=answer,
            is_coroutine=True,
            dump_json=response_field is not None,
            **serialize_options,
        )
        if response_field is not None:
            response: Response = Response(
                content, media_type="application/json", status_code=status
            )
        else:
            response = JSONResponse(content, status_code=status)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        return response

    return handle


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes run their handlers inside the request's transaction."""
    return APIRouter(route_class=ApiRoute, **kwargs)
