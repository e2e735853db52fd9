"""Market prices as published, and each source's last fetch. Market data is public and shared
by every account, so these tables carry no account or mode."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.db.base import ID_LENGTH, Base

FEED_LENGTH = 16


class MarketPrice(Base):
    """One published interval of a market source: from `start` to `end` (15, 30 or 60 minutes,
    as published), `price` in the source's currency per kWh at 5 decimals.

    `fx_rate` is the rate that converted a EUR-cleared price to the source's currency (None
    when no conversion was needed); `revision` counts corrections of the published value.
    """

    __tablename__ = "market_prices"

    source_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    end: Mapped[datetime]
    price: Mapped[Decimal] = mapped_column(Numeric(14, 5))
    feed: Mapped[str | None] = mapped_column(String(FEED_LENGTH))
    fx_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    published_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MarketSourceState(Base):
    """How the last fetch of a source went, for `tariffconnect market status`."""

    __tablename__ = "market_source_states"

    source_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    checked_at: Mapped[datetime]
    feed: Mapped[str | None] = mapped_column(String(FEED_LENGTH))  # the feed that answered
    error: Mapped[str | None] = mapped_column(Text)  # why nothing (or not all) was stored


class MarketSourceVersion(Base):
    """A token that changes with every stored change to a source's prices, and the end of its
    latest interval: what tells each process that its cached days of the source are stale
    (market/cache.py), on one database or many processes alike. Written by `store.upsert`,
    in the transaction that stores the prices."""

    __tablename__ = "market_source_versions"

    source_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    published_until: Mapped[datetime]
