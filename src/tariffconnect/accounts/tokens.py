"""Bearer tokens: HS256 JWTs minted by GET /login from an API key."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from tariffconnect.core.errors import ApiError, unauthorized
from tariffconnect.core.timeutil import utcnow

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "account_id", "live_mode", "iat", "nbf", "exp", "iss", "key_id"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    account_id: str
    live_mode: bool
    key_id: str
    # The account's default release when the token was minted; None in tokens from before.
    flatpeak_version: str | None = None


def mint(
    *,
    secret: bytes,
    issuer: str,
    ttl_seconds: int,
    account_id: str,
    live_mode: bool,
    key_id: str,
    flatpeak_version: str | None = None,
) -> str:
    now = int(utcnow().timestamp())
    payload: dict[str, object] = {
        "sub": account_id,
        "account_id": account_id,
        "live_mode": live_mode,
        "key_id": key_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "iss": issuer,
    }
    if flatpeak_version is not None:
        payload["flatpeak_version"] = flatpeak_version
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(token: str, *, secret: bytes, issuer: str, max_ttl_seconds: int) -> TokenClaims:
    """Verify signature, issuer and lifetime; raise a 401 ApiError otherwise. A token that
    was made to live longer than `max_ttl_seconds` (`exp - iat`) is refused, even signed with
    the right key: the service never mints one, so whoever did holds the signing key or a
    token from before the lifetime was shortened.

    A client sends the same token on every call for an hour, so the verified claims are kept
    in a small cache; only the expiry is checked again on each use.
    """
    claims, issued_at, expires_at = _verified(token, secret, issuer)
    if expires_at - issued_at > max_ttl_seconds:
        raise _invalid()
    if time.time() >= expires_at:
        raise unauthorized("bearer_token_expired", "The bearer token has expired.")
    return claims


@lru_cache(maxsize=8192)
def _verified(token: str, secret: bytes, issuer: str) -> tuple[TokenClaims, int, int]:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("bearer_token_expired", "The bearer token has expired.") from None
    except jwt.PyJWTError:
        raise _invalid() from None
    account_id, live_mode, key_id = payload["account_id"], payload["live_mode"], payload["key_id"]
    if not (
        isinstance(account_id, str)
        and account_id == payload["sub"]
        and isinstance(live_mode, bool)
        and isinstance(key_id, str)
    ):
        raise _invalid()
    version = payload.get("flatpeak_version")
    claims = TokenClaims(
        account_id=account_id,
        live_mode=live_mode,
        key_id=key_id,
        flatpeak_version=version if isinstance(version, str) else None,
    )
    return claims, int(payload["iat"]), int(payload["exp"])


def _invalid() -> ApiError:
    return unauthorized("bearer_token_invalid", "The bearer token is not valid.")
