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
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, get_args, get_type_hints

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute

from tariffconnect.auth.context import ApiContext
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


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes run their handlers inside the request's transaction."""
    return APIRouter(route_class=ApiRoute, **kwargs)
