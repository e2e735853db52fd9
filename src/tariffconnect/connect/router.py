"""Connect sessions: POST /connect, GET and PATCH /connect/{id} (busbar); and Connect
tokens: POST and GET /connect/tariff/token (zero), /connect/token (anode), POST
/connect/sessions (busbar's earlier revision).

`{id}` matches only Connect token ids (`cot_…`), so a path such as `/connect/token` can never
be taken for a session id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.connect import service, tokens
from tariffconnect.connect.schemas import (
    ConnectSessionCreate,
    ConnectSessionOut,
    ConnectSessionUpdate,
    ConnectTokenCreate,
    ConnectTokenExchangeOut,
    ConnectTokenOut,
)
from tariffconnect.core import versions
from tariffconnect.core.ids import id_path

SESSION_PATH = id_path("connect_session_id", "cot")
SessionId = Annotated[str, Path(pattern="^cot_", examples=["cot_6587fa4362341be5b524de3b"])]

router = api_router(prefix="/connect", tags=["Connect"])
versions.only_in(
    versions.BUSBAR,
    names=[
        "connect_session_create",
        "connect_session_retrieve",
        "connect_session_update",
        "connect_session_create_token",
    ],
)
versions.only_in(versions.ZERO, names=["connect_token_create_zero", "connect_token_exchange_zero"])
versions.only_in(versions.ANODE, names=["connect_token_create", "connect_token_exchange"])
ConnectToken = Annotated[str, Query(max_length=64, examples=["cot_6587fa4362341be5b524de3b"])]
CREATE_DOC = (
    "Without `location_id`, the location (and, with `customer_reference_id`, the customer) is "
    "created from the address captured in Connect, when the flow completes."
)
EXCHANGE_DOC = (
    "After Connect completes, swap the token for the location it connected; before that, "
    "`location_id` is null and `tariff_available` false. An expired token cannot be claimed."
)


def create_token(api: Api, request: Request, body: ConnectTokenCreate) -> Response:
    """A Connect token; the customer goes to Connect with it."""
    out = tokens.create(
        api.db,
        scope=api.scope,
        data=body,
        ttl_seconds=api.runtime.settings.connect_session_ttl_seconds,
        release=versions.of_state(request.scope["state"]),
    )
    return api.reply(out)


def exchange(api: Api, connect_token: ConnectToken) -> ConnectTokenExchangeOut:
    """What the Connect token became."""
    return tokens.exchange(api.db, scope=api.scope, connect_token=connect_token)


# (path, name suffix, release, what the operation's docs say of its release)
TOKEN_PATHS = (
    ("/tariff/token", "_zero", "zero", f"Flatpeak's zero release ({versions.ZERO})."),
    ("/token", "", "anode", f"Flatpeak's anode release ({versions.ANODE})."),
)
for path, suffix, name, release_doc in TOKEN_PATHS:
    router.add_api_route(
        path,
        create_token,
        methods=["POST"],
        name=f"connect_token_create{suffix}",
        response_model=ConnectTokenOut,
        summary=f"Create a Connect token ({name})",
        deprecated=True,
        description=f"{release_doc} {CREATE_DOC}",
    )
    router.add_api_route(
        path,
        exchange,
        methods=["GET"],
        name=f"connect_token_exchange{suffix}",
        summary=f"Exchange a Connect token ({name})",
        deprecated=True,
        description=f"{release_doc} {EXCHANGE_DOC}",
    )
router.add_api_route(
    "/sessions",
    create_token,
    methods=["POST"],
    name="connect_session_create_token",
    response_model=ConnectTokenOut,
    summary="Create a Connect session (busbar's earlier revision)",
    deprecated=True,
    description=f"An earlier revision of busbar; POST /connect answers the session. {CREATE_DOC}",
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
    response_model=ConnectSessionOut,
    summary="Retrieve a Connect session",
)
def retrieve(api: Api, connect_session_id: SessionId) -> Response:
    """A session, readable after it completed or expired."""
    return api.reply(service.read(api.db, scope=api.scope, session_id=connect_session_id))


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
