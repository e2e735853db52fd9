"""Request authentication: HTTP Basic for GET /login, bearer tokens for everything else.

`Api` is what an authenticated handler takes: the request's one transaction and the caller's
scope (account and mode), after checking that the token's key is still active in that same
transaction.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from tariffconnect.accounts import service as accounts
from tariffconnect.accounts import tokens
from tariffconnect.accounts.tokens import TokenClaims
from tariffconnect.core import idempotency
from tariffconnect.core.errors import unauthorized
from tariffconnect.core.scoping import Scope
from tariffconnect.runtime import Runtime, runtime_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(slots=True)
class ApiContext:
    db: Session
    scope: Scope
    runtime: Runtime
    idempotency: idempotency.Claim | None = None

    def reply(self, model: BaseModel, *, status_code: int = 200) -> Response:
        """Serialise the answer of a write; with an Idempotency-Key, record it atomically."""
        body = model.model_dump_json().encode()
        if self.idempotency is not None:
            idempotency.complete(self.db, self.idempotency, status=status_code, body=body)
        return Response(body, status_code=status_code, media_type="application/json")


class BasicAuth(HTTPBasic):
    """HTTP Basic `account_id:api_key`, answering our own 401 error objects."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials:  # type: ignore[override]
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise unauthorized(
                "authentication_required", "Log in with HTTP Basic: account id and API key."
            )
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise unauthorized("credentials_invalid", "Malformed Basic credentials.") from None
        username, sep, password = decoded.partition(":")
        if not sep or not username or not password:
            raise unauthorized("credentials_invalid", "Malformed Basic credentials.")
        request.state.live_mode = password.startswith(accounts.KEY_PREFIX[True])
        return HTTPBasicCredentials(username=username, password=password)


class BearerAuth(HTTPBearer):
    """`Authorization: Bearer <token>`, verified here; its key is checked in `api_context`."""

    async def __call__(self, request: Request) -> TokenClaims:  # type: ignore[override]
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("authentication_required", "Send a bearer token from GET /login.")
        runtime = runtime_of(request)
        claims = tokens.decode(
            token.strip(),
            secret=runtime.settings.signing_secret,
            issuer=runtime.settings.token_issuer,
        )
        request.state.live_mode = claims.live_mode
        return claims


basic_auth = BasicAuth(description="account_id as user name, API key as password")
bearer_auth = BearerAuth(description="bearer_token from GET /login")


def api_context(
    request: Request,
    claims: Annotated[TokenClaims, Depends(bearer_auth)],
    fingerprint: Annotated[str | None, Depends(idempotency.request_fingerprint)],
) -> Iterator[ApiContext]:
    runtime = runtime_of(request)
    scope = Scope(account_id=claims.account_id, live_mode=claims.live_mode)
    claim = None
    if fingerprint is not None:
        claim = idempotency.claim(
            runtime.db,
            scope=scope,
            key=request.headers[idempotency.HEADER],
            fingerprint=fingerprint,
            check=lambda session: accounts.ensure_token_key_active(session, claims=claims),
        )
    try:
        with runtime.db.transaction(write=request.method not in SAFE_METHODS) as db:
            accounts.ensure_token_key_active(db, claims=claims)
            context = ApiContext(db=db, scope=scope, runtime=runtime, idempotency=claim)
            yield context
            if claim is not None and not claim.completed:
                raise RuntimeError("a write handler answered without ApiContext.reply()")
    except BaseException:
        if claim is not None:
            idempotency.release(runtime.db, claim)
        raise


# scope="function": the transaction commits before the response is sent, so a failed commit
# becomes an error response rather than a success that did not happen.
Api = Annotated[ApiContext, Depends(api_context, scope="function")]
