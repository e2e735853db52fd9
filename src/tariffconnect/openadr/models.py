"""OpenADR clients: the OAuth 2 client credentials a VEN reads one location's prices with
(the secret is stored only as a SHA-256 hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column


class OpenAdrClient(OwnedMixin, Base):
    __tablename__ = "openadr_clients"
    __table_args__ = (Index("ix_openadr_clients_scope_id", "account_id", "live_mode", "id"),)

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    time_revoked: Mapped[datetime | None]
