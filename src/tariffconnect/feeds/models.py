"""Feed tokens: read-only, one location each, stored only as SHA-256 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column


class FeedToken(OwnedMixin, Base):
    __tablename__ = "feed_tokens"
    __table_args__ = (
        Index("ix_feed_tokens_scope_id", "account_id", "live_mode", "id"),
        Index("ix_feed_tokens_location_id", "location_id"),
    )

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Enough of the token to recognise it in a list (`ft_…3f9a`), never enough to use it.
    token_hint: Mapped[str] = mapped_column(String(16))
    time_revoked: Mapped[datetime | None]
