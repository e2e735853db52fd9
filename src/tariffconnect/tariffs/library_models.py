"""Library entries synced from a supplier's published products (docs/tariff-library.md): one
row per product, region and register kind, the whole entry kept as JSON beside the columns a
sync looks rows up by. Global, like the shipped library: not an account's data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.db.base import Base


class SyncedLibraryTariff(Base):
    __tablename__ = "library_synced_tariffs"
    __table_args__ = (Index("ix_library_synced_source_offered", "source", "withdrawn_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # trl_ + 24 hex
    source: Mapped[str] = mapped_column(String(32))  # "octopus"
    product_code: Mapped[str] = mapped_column(String(96))
    region: Mapped[str] = mapped_column(String(8))  # the GSP group letter
    tariff_code: Mapped[str] = mapped_column(String(128))
    read_on: Mapped[date] = mapped_column(Date)
    # Set when the product left the published list (or passed available_to): no longer offered
    # for new connections; tariffs already made from it are copies and keep working.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)  # the LibraryTariff as served
