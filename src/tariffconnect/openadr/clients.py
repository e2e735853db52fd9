"""OpenADR clients: made for one location by the operator (`tariffconnect openadr client
create`), checked at the token endpoint, and looked up again on every request so that a
revocation takes effect at once."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from tariffconnect.accounts.service import hash_key
from tariffconnect.core.errors import not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.locations import service as locations
from tariffconnect.openadr.models import OpenAdrClient

PREFIX = "oac"
SECRET_PREFIX = "oacs_"  # noqa: S105 (the prefix of every secret, not one)


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A client as it is shown once, at creation."""

    client_id: str
    client_secret: str
    location_id: str


@dataclass(frozen=True, slots=True)
class ActiveClient:
    """A client that may read: whose location's prices, in which account and mode."""

    client_id: str
    location_id: str
    scope: Scope


_ACTIVE = select(
    OpenAdrClient.location_id,
    OpenAdrClient.account_id,
    OpenAdrClient.live_mode,
    OpenAdrClient.secret_hash,
).where(OpenAdrClient.id == bindparam("client_id"), OpenAdrClient.time_revoked.is_(None))


def create(session: Session, *, location_id: str) -> IssuedClient:
    """A client for the location (in its own account and mode); the secret is only in the
    returned value. 404 `location_not_found` for an unknown location."""
    scope = locations.scope_of(session, location_id=location_id)
    secret = SECRET_PREFIX + secrets.token_hex(24)
    client = OpenAdrClient(
        id=new_id(PREFIX),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        location_id=location_id,
        secret_hash=hash_key(secret),
        time_revoked=None,
    )
    session.add(client)
    session.flush()
    return IssuedClient(client_id=client.id, client_secret=secret, location_id=location_id)


def list_(session: Session, *, location_id: str | None = None) -> list[OpenAdrClient]:
    """Every client (of one location, when given), newest first, revoked ones included."""
    query = select(OpenAdrClient).order_by(OpenAdrClient.id.desc())
    if location_id is not None:
        query = query.where(OpenAdrClient.location_id == location_id)
    return list(session.scalars(query))


def revoke(session: Session, *, client_id: str) -> OpenAdrClient:
    """Revoke a client: its secret and every token minted for it stop working at once."""
    client = session.get(OpenAdrClient, client_id) if is_valid_id(client_id, PREFIX) else None
    if client is None:
        raise not_found("openadr_client_not_found", f"No OpenADR client {client_id}.")
    if client.time_revoked is None:
        client.time_revoked = utcnow()
    return client


def check_secret(session: Session, *, client_id: str, client_secret: str) -> ActiveClient | None:
    """The active client these credentials name, or None (unknown, revoked, wrong secret)."""
    found = _active(session, client_id)
    # The hashes are compared in constant time; an unknown client is compared too, against
    # a hash no secret has, so its answer takes as long as a wrong secret's.
    stored = found.secret_hash if found is not None else "0" * 64
    matches = hmac.compare_digest(hash_key(client_secret), stored)
    if found is None or not matches:
        return None
    return _of(client_id, found)


def get_active(session: Session, *, client_id: str) -> ActiveClient | None:
    """The client a token names, if it is still active (not revoked, not deleted)."""
    found = _active(session, client_id)
    return None if found is None else _of(client_id, found)


def _active(session: Session, client_id: str) -> Row[str, str, bool, str] | None:
    if not is_valid_id(client_id, PREFIX):
        return None  # junk never reaches the database driver
    return session.execute(_ACTIVE, {"client_id": client_id}).one_or_none()


def _of(client_id: str, row: Row[str, str, bool, str]) -> ActiveClient:
    scope = Scope(account_id=row.account_id, live_mode=row.live_mode)
    return ActiveClient(client_id=client_id, location_id=row.location_id, scope=scope)
