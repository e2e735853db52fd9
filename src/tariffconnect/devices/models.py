"""Devices (chargers, batteries, heat pumps...) and the locations they sit at."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column

device_locations = Table(
    "device_locations",
    Base.metadata,
    Column(
        "device_id",
        String(ID_LENGTH),
        ForeignKey("devices.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "location_id",
        String(ID_LENGTH),
        ForeignKey("locations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Device(OwnedMixin, Base):
    __tablename__ = "devices"
    __table_args__ = (
        Index("ix_devices_scope_id", "account_id", "live_mode", "id"),
        Index("ix_devices_scope_reference_id", "account_id", "live_mode", "reference_id"),
    )

    id: Mapped[str] = id_column()
    reference_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    manufacturer: Mapped[str | None] = mapped_column(String(255))
    model_code: Mapped[str | None] = mapped_column(String(255))
    model_name: Mapped[str | None] = mapped_column(String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
