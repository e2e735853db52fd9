"""Every owned row carries its account and mode, and every query names both.

`OwnedMixin` adds the two columns; `scoped()` adds them to a query's WHERE clause
(`scoped_by_parameters` as bound parameters, for statements built once), so another account's
or the other mode's row is simply not found.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tariffconnect.core.ids import is_valid_id
from tariffconnect.db.base import ID_LENGTH

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


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


def scoped_by_parameters(query: S, model: Any) -> S:
    """`scoped` with the scope as bound parameters (`parameters_of`), for a statement built
    once at import and executed as it is: SQLAlchemy then skips rebuilding its cache key and
    adapting its result map on every request."""
    return query.where(
        model.account_id == bindparam("scope_account_id"),
        model.live_mode == bindparam("scope_live_mode"),
    )


def parameters_of(scope: Scope) -> dict[str, Any]:
    """The parameters a `scoped_by_parameters` statement takes for the caller's scope."""
    return {"scope_account_id": scope.account_id, "scope_live_mode": scope.live_mode}


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
    query = _owned_statement(table, lock=lock)
    parameters = {**parameters_of(scope), "object_id": object_id}
    found: M | None = session.scalars(query, parameters).one_or_none()
    return found


def owned_read(model: Any, *columns: Any, leave_out: Collection[str] = ()) -> Select[Any]:
    """A statement for one of the caller's rows of `model`, its table's columns but those in
    `leave_out` and `columns` (subqueries for the rest of its answer), built once at import:
    run it with `owned_row`. A read path that does not need ORM objects gets the whole answer
    in one round trip and without identity-map work."""
    table = model.__table__
    kept = [column for column in table.c if column.name not in leave_out]
    return scoped_by_parameters(select(*kept, *columns), model).where(
        table.c.id == bindparam("object_id")
    )


def owned_row(
    session: Session, statement: Select[Any], scope: Scope, object_id: str, *, prefix: str
) -> Row[Any] | None:
    """The row an `owned_read` statement finds for the caller's object with this id, or None."""
    if not is_valid_id(object_id, prefix):
        return None
    parameters = {**parameters_of(scope), "object_id": object_id}
    return session.connection().execute(statement, parameters).one_or_none()


def joined_ids(value: str | None) -> list[str]:
    """Ids aggregated by `func.aggregate_strings(…, ",")` in a subquery, in id order."""
    return sorted(value.split(",")) if value else []


def owns(session: Session, model: Any, scope: Scope, object_id: str, *, prefix: str) -> bool:
    """Whether the caller has the row of `model` with this id, without loading it."""
    if not is_valid_id(object_id, prefix):
        return False
    parameters = {**parameters_of(scope), "object_id": object_id}
    return session.execute(_owned_id_statement(model), parameters).first() is not None


@functools.cache
def _owned_id_statement(model: Any) -> Select[Any]:
    return scoped_by_parameters(select(model.id), model).where(model.id == bindparam("object_id"))


@functools.cache
def _owned_statement(model: Any, *, lock: bool) -> Select[Any]:
    """`get_owned`'s statement for `model`, built once (see `scoped_by_parameters`)."""
    query = scoped_by_parameters(select(model), model).where(model.id == bindparam("object_id"))
    return query.with_for_update() if lock else query
