"""Every owned row carries its account and mode, and every query names both.

`OwnedMixin` adds the two columns; `scoped()` adds them to a query's WHERE clause, so another
account's or the other mode's row is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, String
from sqlalchemy.orm import Mapped, mapped_column

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
