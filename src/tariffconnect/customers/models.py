"""Customers: the app's end users, optional owners of locations."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import Base, id_column


class Customer(OwnedMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_scope_id", "account_id", "live_mode", "id"),
        Index("ix_customers_scope_reference_id", "account_id", "live_mode", "reference_id"),
    )

    id: Mapped[str] = id_column()
    reference_id: Mapped[str | None] = mapped_column(String(255))
