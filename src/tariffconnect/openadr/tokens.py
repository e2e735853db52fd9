"""OpenADR access tokens: HS256 JWTs that name one OpenADR client.

A signed token rather than an opaque one: the token endpoint writes nothing (no token table
to fill and sweep), and any process of a cluster checks a token with the shared secret key.
The token carries only the client id; the client's row is read on every request anyway (it
says which location the client sees), so a revoked client's tokens stop at once. Its own
audience keeps it apart from the REST API's bearer tokens, signed with the same key.
"""

from __future__ import annotations

import time
from functools import lru_cache

import jwt

from tariffconnect.openadr.problems import unauthorized

ALGORITHM = "HS256"
AUDIENCE = "openadr"
_REQUIRED = ["sub", "aud", "iss", "iat", "exp"]


def mint(*, secret: bytes, issuer: str, ttl_seconds: int, client_id: str) -> str:
    now = int(time.time())
    payload = {
        "sub": client_id,
        "aud": AUDIENCE,
        "iss": issuer,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def client_of(token: str, *, secret: bytes, issuer: str) -> str:
    """The client id a valid, unexpired token names; a 401 `ApiError` otherwise."""
    client_id, expires_at = _verified(token, secret, issuer)
    if time.time() >= expires_at:
        raise unauthorized("access_token_expired", "The access token has expired.")
    return client_id


# A VEN polls with one token for its whole life: its verified claims are kept, and only the
# expiry is checked again on each use.
@lru_cache(maxsize=8192)
def _verified(token: str, secret: bytes, issuer: str) -> tuple[str, int]:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": _REQUIRED},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("access_token_expired", "The access token has expired.") from None
    except jwt.PyJWTError:
        raise _invalid() from None
    if not isinstance(payload["sub"], str):
        raise _invalid()
    return payload["sub"], int(payload["exp"])


def _invalid() -> Exception:
    return unauthorized("access_token_invalid", "The access token is not valid.")
