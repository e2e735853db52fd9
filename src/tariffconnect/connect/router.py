"""Connect sessions: POST /connect, GET and PATCH /connect/{id}.

`{id}` matches only Connect token ids (`cot_…`), so a path such as `/connect/token` can never
be taken for a session id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.connect import service
from tariffconnect.connect.schemas import (
    ConnectSessionCreate,
    ConnectSessionOut,
    ConnectSessionUpdate,
)
from tariffconnect.core import versions
from tariffconnect.core.ids import id_path

SESSION_PATH = id_path("connect_session_id", "cot")
SessionId = Annotated[str, Path(pattern="^cot_", examples=["cot_6587fa4362341be5b524de3b"])]

router = api_router(prefix="/connect", tags=["Connect"])
versions.only_in(
    versions.BUSBAR,
    names=["connect_session_create", "connect_session_retrieve", "connect_session_update"],
)


@router.post(
    "",
    name="connect_session_create",
    response_model=ConnectSessionOut,
    summary="Create a Connect session",
)
def create(api: Api, body: ConnectSessionCreate) -> Response:
    """Create a session for a location; send the customer to Connect with its id."""
    ttl = api.runtime.settings.connect_session_ttl_seconds
    out = service.create(api.db, scope=api.scope, data=body, ttl_seconds=ttl)
    return api.reply(out)


@router.get(
    SESSION_PATH,
    name="connect_session_retrieve",
    summary="Retrieve a Connect session",
)
def retrieve(api: Api, connect_session_id: SessionId) -> ConnectSessionOut:
    """A session, readable after it completed or expired."""
    found = service.get_or_raise(api.db, scope=api.scope, session_id=connect_session_id)
    return service.render(api.db, found)


@router.patch(
    SESSION_PATH,
    name="connect_session_update",
    response_model=ConnectSessionOut,
    summary="Update a Connect session",
)
def update(api: Api, connect_session_id: SessionId, body: ConnectSessionUpdate) -> Response:
    """Change a session that has neither completed nor expired."""
    out = service.update(api.db, scope=api.scope, session_id=connect_session_id, data=body)
    return api.reply(out)
