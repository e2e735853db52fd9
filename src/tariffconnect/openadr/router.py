"""OpenADR 3.0 VTN, read side, under /openadr/3.0/: the OAuth 2 token endpoint, programs and
events. Errors are OpenADR's Problem objects (problems.py). The routes are not in
/openapi.json: OpenADR's own specification (3.0.1) describes them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import unquote_plus

import orjson
from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from tariffconnect.db.database import retry_read
from tariffconnect.openadr import clients, tokens, vtn
from tariffconnect.openadr.clients import ActiveClient
from tariffconnect.openadr.problems import OAuthError, ProblemRoute, not_offered, unauthorized
from tariffconnect.runtime import Runtime, public_base_url, runtime_of

PREFIX = "/openadr/3.0"
router = APIRouter(prefix=PREFIX, route_class=ProblemRoute, include_in_schema=False)
Skip = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=0, le=vtn.MAX_LIMIT)]
FormField = Annotated[str | None, Form()]


@router.get("/auth/server", name="openadr_auth_server")
def auth_server(request: Request) -> Response:
    """Where a VEN gets its access token (OpenADR's discovery of the token URL)."""
    return _json({"tokenURL": f"{public_base_url(request)}{PREFIX}/auth/token"})


@router.post("/auth/token", name="openadr_token")
def token(
    request: Request,
    grant_type: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
) -> Response:
    """OAuth 2 client credentials (RFC 6749 section 4.4): the client id and secret in the
    form body or as HTTP Basic credentials."""
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "grant_type must be client_credentials.")
    basic = _basic(request.headers.get("authorization"))
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise _invalid_client()
    runtime = runtime_of(request)

    def check() -> ActiveClient | None:
        with runtime.db.transaction(write=False) as session:
            return clients.check_secret(session, client_id=client_id, client_secret=client_secret)

    if retry_read(check) is None:
        raise _invalid_client()
    ttl = runtime.settings.token_ttl_seconds
    access_token = tokens.mint(
        secret=runtime.settings.signing_secret,
        issuer=runtime.settings.token_issuer,
        ttl_seconds=ttl,
        client_id=client_id,
    )
    body = {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
    return _json(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/programs", name="openadr_program_list")
def program_list(request: Request, skip: Skip = 0, limit: Limit = vtn.MAX_LIMIT) -> Response:
    """The programs of the client's location."""
    return _read(request, lambda s, c: vtn.page(vtn.programs(s, client=c), skip=skip, limit=limit))


@router.get("/programs/{program_id}", name="openadr_program_retrieve")
def program_retrieve(request: Request, program_id: str) -> Response:
    return _read(request, lambda s, c: vtn.get_program(s, client=c, program_id=program_id))


@router.get("/events", name="openadr_event_list")
def event_list(
    request: Request,
    program_id: Annotated[str | None, Query(alias="programID")] = None,
    skip: Skip = 0,
    limit: Limit = vtn.MAX_LIMIT,
) -> Response:
    """The events of the client's programs: each the next 48 hours of prices."""
    return _read(
        request,
        lambda s, c: vtn.page(
            vtn.events(s, client=c, program_id=program_id), skip=skip, limit=limit
        ),
    )


@router.get("/events/{event_id}", name="openadr_event_retrieve")
def event_retrieve(request: Request, event_id: str) -> Response:
    return _read(request, lambda s, c: vtn.get_event(s, client=c, event_id=event_id))


@router.api_route("/subscriptions", methods=["GET", "POST"], name="openadr_subscriptions")
def subscriptions(request: Request) -> Response:
    """Not offered: VENs poll the events (docs/integrations.md says why)."""
    _client_id(request, runtime_of(request))  # an unauthenticated caller learns nothing
    raise not_offered("subscriptions")


def _read(request: Request, read: Callable[[Session, ActiveClient], Any]) -> Response:
    """`read`'s answer for the client the request's access token names, in one read
    transaction; the client is looked up on every request, so revocation is immediate."""
    runtime = runtime_of(request)
    client_id = _client_id(request, runtime)

    def in_transaction() -> Any:
        with runtime.db.transaction(write=False) as session:
            client = clients.get_active(session, client_id=client_id)
            if client is None:
                raise unauthorized("access_token_invalid", "The access token is not valid.")
            return read(session, client)

    return _json(retry_read(in_transaction))


def _client_id(request: Request, runtime: Runtime) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise unauthorized("access_token_missing", "Send an access token: Bearer <token>.")
    return tokens.client_of(
        credentials.strip(),
        secret=runtime.settings.signing_secret,
        issuer=runtime.settings.token_issuer,
    )


def _basic(header: str | None) -> tuple[str, str] | None:
    """The client id and secret of HTTP Basic credentials (RFC 6749 section 2.3.1)."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client() from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_client()
    # Each part is form-encoded before it is joined (RFC 6749 section 2.3.1).
    return unquote_plus(client_id), unquote_plus(secret)


def _invalid_client() -> OAuthError:
    return OAuthError(
        401,
        "invalid_client",
        "Unknown client or wrong secret.",
        headers={"WWW-Authenticate": 'Basic realm="openadr"'},
    )


def _json(body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)
