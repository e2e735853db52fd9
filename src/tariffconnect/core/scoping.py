"""Every owned row carries its account and mode, and every query names both.

`OwnedMixin` adds the two columns; `scoped()` adds them to a query's WHERE clause, so another
account's or the other mode's row is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tariffconnect.core.ids import is_valid_id
from tariffconnect.db.base import ID_LENGTH

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose objects a request may see: one account, one mode."""

    account_id: str
    live_mode: bool


class OwnedMixin:
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    live_mode: Mapped[bool]
    time_created: Mapped[datetime]


def scoped(query: S, model: Any, scope: Scope) -> S:
    """Restrict `query` to rows of `model` that belong to the caller's account and mode."""
    return query.where(model.account_id == scope.account_id, model.live_mode == scope.live_mode)


M = TypeVar("M")


def get_owned(
    session: Session,
    model: type[M],
    scope: Scope,
    object_id: str,
    *,
    prefix: str,
    lock: bool = False,
) -> M | None:
    """The caller's row of `model` with this id, or None.

    An id of the wrong shape cannot exist, so it is answered without a query; junk such as a
    NUL byte (which PostgreSQL refuses outright) never reaches the database driver. `lock`
    holds the row (`FOR UPDATE`) until the transaction ends, so concurrent writes to one
    object run one after the other.
    """
    if not is_valid_id(object_id, prefix):
        return None
    table: Any = model
    query = scoped(select(table), table, scope).where(table.id == object_id)
    if lock:
        query = query.with_for_update()
    found: M | None = session.scalars(query).one_or_none()
    return found
