"""GET /login (HTTP Basic -> bearer token) and GET /account (who am I)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasicCredentials

from tariffconnect.accounts import service, tokens
from tariffconnect.accounts.schemas import AccountOut, AuthToken
from tariffconnect.auth.context import Api, basic_auth
from tariffconnect.auth.routing import api_router
from tariffconnect.core import versions
from tariffconnect.core.timeutil import format_utc
from tariffconnect.runtime import runtime_of

router = api_router(tags=["Authentication"])


@router.get("/login", name="login", summary="Create a bearer token")
def login(
    request: Request, credentials: Annotated[HTTPBasicCredentials, Depends(basic_auth)]
) -> AuthToken:
    """Exchange `account_id:api_key` (HTTP Basic) for a bearer token."""
    runtime = runtime_of(request)
    settings = runtime.settings
    with runtime.db.transaction(write=False) as db:
        key = service.authenticate_key(
            db, account_id=credentials.username, secret=credentials.password
        )
        default_version = service.default_version(db, account_id=key.account_id)
    release = getattr(request.state, versions.REQUESTED, None) or default_version
    setattr(request.state, versions.ANSWERING, release)
    token = tokens.mint(
        secret=settings.signing_secret,
        issuer=settings.token_issuer,
        ttl_seconds=settings.token_ttl_seconds,
        account_id=key.account_id,
        live_mode=key.live_mode,
        key_id=key.id,
        flatpeak_version=default_version,
    )
    return AuthToken(
        bearer_token=token, expires_in=settings.token_ttl_seconds, live_mode=key.live_mode
    )


@router.get("/account", name="account_retrieve", summary="Retrieve the caller's account")
async def get_account(api: Api) -> AccountOut:
    """The account the bearer token belongs to, and the token's mode."""
    # The key check read the account with the key (accounts/keycache.py): no SQL, no thread.
    key = api.key
    if key is None:
        raise RuntimeError("the token's key is checked before the handler runs")
    return AccountOut(
        id=key.account_id,
        name=key.account_name,
        live_mode=api.scope.live_mode,
        time_created=format_utc(key.account_time_created),
    )
