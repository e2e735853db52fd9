"""Locations: supply addresses, with the time zone and currency derived from the address."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column


class Location(OwnedMixin, Base):
    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_scope_id", "account_id", "live_mode", "id"),
        Index("ix_locations_scope_reference_id", "account_id", "live_mode", "reference_id"),
        Index("ix_locations_scope_customer_id", "account_id", "live_mode", "customer_id"),
    )

    id: Mapped[str] = id_column()
    reference_id: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("customers.id", ondelete="SET NULL")
    )
    address_line1: Mapped[str | None] = mapped_column(String(255))
    address_line2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(64))
    post_code: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    currency_code: Mapped[str] = mapped_column(String(3))
