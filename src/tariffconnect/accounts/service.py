"""Accounts and API keys: creation, revocation, and checking a key or a token's key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Row, bindparam, select
from sqlalchemy.orm import Session

from tariffconnect.accounts.keycache import KeyState, changed, key_states, key_states_of
from tariffconnect.accounts.models import Account, ApiKey
from tariffconnect.accounts.tokens import TokenClaims
from tariffconnect.core import versions
from tariffconnect.core.errors import ApiError, invalid, not_found, unauthorized
from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow

KEY_PREFIX = {False: "sk_test_", True: "sk_live_"}


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as it is shown once, at creation."""

    id: str
    account_id: str
    live_mode: bool
    secret: str


# Statements run on every request are built once: building one per call costs more than
# running it (SQLAlchemy derives a cache key from each new statement).
_KEY_BY_HASH = select(ApiKey.id, ApiKey.account_id, ApiKey.live_mode, ApiKey.time_revoked).where(
    ApiKey.key_hash == bindparam("key_hash")
)


def hash_key(secret: str) -> str:
    # Keys are 128 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


_VERSION = select(Account.flatpeak_version).where(Account.id == bindparam("account_id"))


def create(session: Session, *, name: str) -> Account:
    """Create an account; its requests answer in the newest release (busbar) by default."""
    account = Account(
        id=new_id("acc"), name=name, time_created=utcnow(), flatpeak_version=versions.DEFAULT
    )
    session.add(account)
    session.flush()
    return account


def default_version(session: Session, *, account_id: str) -> str:
    """The release the account's requests answer in when they name none."""
    found = session.connection().execute(_VERSION, {"account_id": account_id}).scalar()
    return str(found) if found else versions.DEFAULT


def set_version(session: Session, *, account_id: str, version: str) -> None:
    """Change the account's default release (bearer tokens minted from now on carry it)."""
    if not versions.is_known(version):
        raise invalid(
            "version_invalid",
            f"{version!r} is not a known release; use one of {', '.join(versions.RELEASES)}.",
        )
    account = session.get(Account, account_id)
    if account is None:
        raise not_found("account_not_found", f"No account {account_id}.")
    account.flatpeak_version = version


def first(session: Session, *, name: str | None = None) -> Account | None:
    """The oldest account (with this name, if one is given), or None when there is none."""
    query = select(Account).order_by(Account.id).limit(1)  # ids are time-ordered
    if name is not None:
        query = query.where(Account.name == name)
    return session.scalars(query).first()


def create_key(
    session: Session, *, account_id: str, live_mode: bool, name: str = "default"
) -> IssuedKey:
    """Create an API key for the account; the secret is only in the returned value."""
    if session.get(Account, account_id) is None:
        raise not_found("account_not_found", f"No account {account_id}.")
    secret = KEY_PREFIX[live_mode] + secrets.token_hex(16)
    key = ApiKey(
        id=new_id("key"),
        account_id=account_id,
        live_mode=live_mode,
        key_hash=hash_key(secret),
        key_hint=f"{KEY_PREFIX[live_mode]}…{secret[-4:]}",
        name=name,
        time_created=utcnow(),
        time_revoked=None,
    )
    session.add(key)
    session.flush()
    return IssuedKey(id=key.id, account_id=account_id, live_mode=live_mode, secret=secret)


def list_keys(session: Session, *, account_id: str) -> list[ApiKey]:
    """The account's keys, newest first, revoked ones included."""
    query = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.id.desc())
    return list(session.scalars(query))


def revoke_key(session: Session, *, key_id_or_secret: str) -> ApiKey:
    """Revoke a key, named by its id or by the secret itself. Tokens minted from it stop working."""
    if key_id_or_secret.startswith(("sk_test_", "sk_live_")):
        query = select(ApiKey).where(ApiKey.key_hash == hash_key(key_id_or_secret))
    else:
        query = select(ApiKey).where(ApiKey.id == key_id_or_secret)
    key = session.scalars(query).one_or_none()
    if key is None:
        raise not_found("api_key_not_found", "No such API key.")
    if key.time_revoked is None:
        key.time_revoked = utcnow()
        changed(session)
    return key


def authenticate_key(
    session: Session, *, account_id: str, secret: str
) -> Row[str, str, bool, datetime | None]:
    """The active key (id, account, mode) with this secret in this account; 401 otherwise."""
    key = session.connection().execute(_KEY_BY_HASH, {"key_hash": hash_key(secret)}).one_or_none()
    if (
        key is None
        or not hmac.compare_digest(key.account_id, account_id)
        or key.time_revoked is not None
    ):
        raise unauthorized("credentials_invalid", "The account id or API key is not valid.")
    return key


def active_key(session: Session, *, claims: TokenClaims) -> KeyState:
    """The state of the key that minted the token (accounts/keycache.py: from memory on most
    requests); 401 unless it exists, is unrevoked and matches the token's account and mode."""
    return _checked(key_states(session).state(session, claims.key_id), claims)


def active_key_in_memory(engine: Engine, *, claims: TokenClaims) -> KeyState | None:
    """`active_key` when the process's key states can answer without the database, else None."""
    state = key_states_of(engine).in_memory(claims.key_id)
    return None if state is None else _checked(state, claims)


def _checked(state: KeyState | None, claims: TokenClaims) -> KeyState:
    if (
        state is None
        or state.account_id != claims.account_id
        or state.live_mode != claims.live_mode
    ):
        raise unauthorized("bearer_token_invalid", "The bearer token is not valid.")
    if state.revoked:
        raise ApiError(
            401,
            "api_key_revoked",
            "The API key this token was minted from has been revoked.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return state
