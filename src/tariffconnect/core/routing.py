"""ApiRoute: runs each authenticated handler inside the request's one transaction.

A handler that takes `api: Api` is wrapped so that, in the worker thread that runs it, the
transaction opens (checking the token's key), the handler runs, and the transaction commits
before the answer leaves: a failed commit becomes an error answer, never a false success.
One thread-pool crossing per request, and no pooled connection held while waiting for one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, get_args, get_type_hints

from fastapi import APIRouter
from fastapi.routing import APIRoute

from tariffconnect.core.auth import ApiContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _api_parameter(endpoint: Callable[..., Any]) -> str | None:
    hints = get_type_hints(endpoint, include_extras=True)
    for name, hint in hints.items():
        if hint is ApiContext or ApiContext in get_args(hint):
            return name
    return None


def in_transaction(endpoint: Callable[..., Any], *, write: bool) -> Callable[..., Any]:
    """Wrap `endpoint` (if it takes an ApiContext) to run inside its transaction."""
    name = _api_parameter(endpoint)
    if name is None:
        return endpoint
    if inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{endpoint.__name__}: handlers taking Api must be plain functions")

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        api: ApiContext = kwargs[name]
        with api.transaction(write=write):
            return endpoint(*args, **kwargs)

    return run


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = set(kwargs.get("methods") or ["GET"])
        write = not methods <= SAFE_METHODS
        super().__init__(path, in_transaction(endpoint, write=write), **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes run their handlers inside the request's transaction."""
    return APIRouter(route_class=ApiRoute, **kwargs)
