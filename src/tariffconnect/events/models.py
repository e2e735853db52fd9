"""Events: what changed, written in the same transaction as the change (the outbox)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column


class Event(OwnedMixin, Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_scope_id", "account_id", "live_mode", "id"),
        Index("ix_events_scope_type_id", "account_id", "live_mode", "type", "id"),
        Index("ix_events_scope_object_id_id", "account_id", "live_mode", "object_id", "id"),
    )

    id: Mapped[str] = id_column()
    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
