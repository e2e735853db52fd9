"""Request authentication: HTTP Basic for GET /login, bearer tokens for everything else.

`Api` is what an authenticated handler takes: the caller's scope (account and mode) and the
request's one transaction, in which the token's key is checked to be still active (from the
process's key cache on most requests: accounts/keycache.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from tariffconnect.accounts import service as accounts
from tariffconnect.accounts import tokens
from tariffconnect.accounts.keycache import KeyState
from tariffconnect.accounts.tokens import TokenClaims
from tariffconnect.core import idempotency, versions
from tariffconnect.core.errors import unauthorized
from tariffconnect.core.scoping import Scope
from tariffconnect.runtime import Runtime, runtime_of


@dataclass(slots=True)
class ApiContext:
    """An authenticated request: the caller's scope and, while the handler runs, its transaction.

    The transaction is opened by `transaction()` in the handler's own worker thread (see
    auth.routing.ApiRoute), so a request crosses into the thread pool once and holds a pooled
    connection only while it actually runs.
    """

    scope: Scope
    runtime: Runtime
    claims: TokenClaims
    idempotency_key: str | None
    fingerprint: str | None
    # The token's key, once the transaction has checked it (GET /account reads its account).
    key: KeyState | None = None
    _db: Session | None = None
    _claim: idempotency.Claim | None = None

    @property
    def db(self) -> Session:
        if self._db is None:
            raise RuntimeError("the request's transaction is not open")
        return self._db

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Session]:
        """The request's one transaction: checks the token's key first, commits at the end.

        With an Idempotency-Key, a write claims the key before and releases it if anything
        fails. A read (a POST that only computes, like /prices) ignores the key: answering it
        again is as safe as replaying it, and there is nothing to record.
        """
        db = self.runtime.db
        claim = None
        if write and self.fingerprint is not None and self.idempotency_key is not None:
            claim = idempotency.claim(
                db,
                scope=self.scope,
                key=self.idempotency_key,
                fingerprint=self.fingerprint,
                check=self._check_key,
            )
        try:
            with db.transaction(write=write) as session:
                self.key = accounts.active_key(session, claims=self.claims)
                self._db, self._claim = session, claim
                try:
                    yield session
                finally:
                    self._db = None
                if claim is not None and not claim.completed:
                    raise RuntimeError("a write handler answered without ApiContext.reply()")
        except BaseException:
            if claim is not None:
                idempotency.release(db, claim)
            raise

    def _check_key(self, session: Session) -> None:
        accounts.active_key(session, claims=self.claims)

    def key_in_memory(self) -> bool:
        """Check the token's key from the process's key states alone, if they can answer
        (accounts/keycache.py); False when only the database can (`check_key`)."""
        self.key = accounts.active_key_in_memory(self.runtime.db.engine, claims=self.claims)
        return self.key is not None

    def check_key(self) -> None:
        """Check the token's key in a read transaction of its own (blocking: a worker thread)."""
        with self.runtime.db.transaction(write=False) as session:
            self.key = accounts.active_key(session, claims=self.claims)

    def reply(self, model: BaseModel, *, status_code: int = 200) -> Response:
        """Serialise an answer as it stands (FastAPI would validate it once more); a write's,
        with an Idempotency-Key, is recorded with it atomically."""
        body = model.model_dump_json().encode()
        if self._claim is not None:
            idempotency.complete(self.db, self._claim, status=status_code, body=body)
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
    """`Authorization: Bearer <token>`, verified, becomes the request's ApiContext (its key is
    checked when the transaction opens, or from memory: auth.routing).

    One dependency does it all, the idempotency fingerprint and the answering release
    included: FastAPI's resolution of each dependency cost more than most of what a small
    request does (bench/RESULTS.md). Being the security scheme itself, it still puts
    `BearerAuth` in /openapi.json for every operation that takes `Api`.
    """

    async def __call__(self, request: Request) -> ApiContext:  # type: ignore[override]
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("authentication_required", "Send a bearer token from GET /login.")
        runtime = runtime_of(request)
        claims = tokens.decode(
            token.strip(),
            secret=runtime.settings.signing_secret,
            issuer=runtime.settings.token_issuer,
            max_ttl_seconds=runtime.settings.token_ttl_seconds,
        )
        request.state.live_mode = claims.live_mode
        fingerprint = await idempotency.request_fingerprint(request)
        _answer_in_release(request, claims)
        return ApiContext(
            scope=Scope(account_id=claims.account_id, live_mode=claims.live_mode),
            runtime=runtime,
            claims=claims,
            idempotency_key=request.headers.get(idempotency.HEADER),
            fingerprint=fingerprint,
        )


basic_auth = BasicAuth(description="account_id as user name, API key as password")
api_context = BearerAuth(description="bearer_token from GET /login")


def _answer_in_release(request: Request, claims: TokenClaims) -> None:
    """Decide the release that answers (the header's, else the account's default) and note it
    for versions.ReleaseMiddleware, which names it and rewrites the answer into its fields."""
    route = request.scope.get("route")
    release = versions.answering(
        operation=str(getattr(route, "name", "")),
        method=request.method,
        path=str(getattr(route, "path_format", request.url.path)),
        requested=getattr(request.state, versions.REQUESTED, None),
        default=claims.flatpeak_version,
    )
    setattr(request.state, versions.ANSWERING, release)


# Handlers taking `Api` run inside `ApiContext.transaction()`: auth.routing.ApiRoute sees to it.
Api = Annotated[ApiContext, Depends(api_context)]
