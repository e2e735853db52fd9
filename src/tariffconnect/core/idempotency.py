"""Idempotency keys: a retried POST or PATCH replays the first answer instead of acting twice.

How it stays right under concurrency and crashes:
- An attempt first *claims* the key in its own short transaction (an INSERT on the primary key
  account, mode, key): of two concurrent attempts exactly one inserts; the other sees the row.
- The answer is stored by `complete()` inside the request's own transaction, so the change and
  its recorded answer commit together or not at all.
- A failed attempt (any error) releases its claim, so a retry runs again; nothing it did was
  committed. An attempt that died without releasing (a killed process) holds the claim for
  LEASE only; after that a retry takes it over.
- Records are kept for RETENTION; after that the key may be used for a new request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import ColumnElement, LargeBinary, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.db import Database
from tariffconnect.db.base import ID_LENGTH, Base

HEADER = "idempotency-key"
KEY_MAX_LENGTH = 255
RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
METHODS = frozenset({"POST", "PATCH"})


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    live_mode: Mapped[bool] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    time_created: Mapped[datetime]
    time_locked: Mapped[datetime]


@dataclass
class Claim:
    scope: Scope
    key: str
    fingerprint: str
    time_locked: datetime
    completed: bool = False


class Replay(Exception):
    """The stored answer of an earlier attempt with the same key and request."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


async def request_fingerprint(request: Request) -> str | None:
    """Hash of method, path and body when the request carries an Idempotency-Key, else None."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS:
        return None
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise invalid(
            "idempotency_key_invalid",
            f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} printable characters.",
        )
    body = await request.body()
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def claim(
    db: Database,
    *,
    scope: Scope,
    key: str,
    fingerprint: str,
    check: Callable[[Session], None],
) -> Claim:
    """Claim `key` for this attempt, or raise Replay, 409 in use, or 422 reused."""
    now = utcnow()
    mine = Claim(scope=scope, key=key, fingerprint=fingerprint, time_locked=now)
    try:
        with db.transaction() as session:
            check(session)
            session.add(_new_record(mine))
        return mine
    except IntegrityError:
        pass  # the key is known: decide below, under a row lock
    with db.transaction() as session:
        record = session.scalars(
            select(IdempotencyRecord)
            .where(*_pk(scope, key))
            .with_for_update()  # PostgreSQL; on SQLite, BEGIN IMMEDIATE already serialises
        ).one_or_none()
        if record is None:  # released meanwhile
            session.add(_new_record(mine))
            return mine
        if as_utc(record.time_created) < now - RETENTION:
            session.delete(record)
            session.flush()
            session.add(_new_record(mine))
            return mine
        if record.fingerprint != fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.",
            )
        if record.response_status is not None and record.response_body is not None:
            raise Replay(record.response_status, record.response_body)
        if as_utc(record.time_locked) > now - LEASE:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed.",
            )
        record.time_locked = now  # the earlier attempt died: take it over
        return mine


def complete(session: Session, claim: Claim, *, status: int, body: bytes) -> None:
    """Store the answer in the request's own transaction."""
    record = session.scalars(
        select(IdempotencyRecord).where(*_pk(claim.scope, claim.key)).with_for_update()
    ).one_or_none()
    if record is None or as_utc(record.time_locked) != as_utc(claim.time_locked):
        # Our lease ran out and another attempt took the key over: let that one win.
        raise ApiError(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed.",
        )
    record.response_status = status
    record.response_body = body
    claim.completed = True


def release(db: Database, claim: Claim) -> None:
    """Forget an attempt that failed, so a retry runs again."""
    with db.transaction() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                *_pk(claim.scope, claim.key),
                IdempotencyRecord.response_status.is_(None),
                IdempotencyRecord.time_locked == claim.time_locked,
            )
        )


def _pk(scope: Scope, key: str) -> tuple[ColumnElement[bool], ...]:
    return (
        IdempotencyRecord.account_id == scope.account_id,
        IdempotencyRecord.live_mode == scope.live_mode,
        IdempotencyRecord.key == key,
    )


def _new_record(claim: Claim) -> IdempotencyRecord:
    return IdempotencyRecord(
        account_id=claim.scope.account_id,
        live_mode=claim.scope.live_mode,
        key=claim.key,
        fingerprint=claim.fingerprint,
        response_status=None,
        response_body=None,
        time_created=claim.time_locked,
        time_locked=claim.time_locked,
    )
