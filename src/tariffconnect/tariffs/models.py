"""Tariffs (`trf_`): what a location pays (or is paid) per kWh, as a weekly schedule."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column

CONNECTED, REPLACED = "CONNECTED", "REPLACED"


class Tariff(OwnedMixin, Base):
    __tablename__ = "tariffs"
    __table_args__ = (
        Index("ix_tariffs_scope_id", "account_id", "live_mode", "id"),
        # The connected tariffs of a location, looked up on every price request.
        Index("ix_tariffs_location_status", "location_id", "status"),
    )

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE")
    )
    tariff_direction: Mapped[str] = mapped_column(String(8))
    tariff_type: Mapped[str] = mapped_column(String(16))
    connection_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str | None] = mapped_column(String(255))
    provider_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    # The provider a customer typed in Connect ("my provider is not listed"), shown on the
    # Connect summary; internal, as Flatpeak's tariff object has no such field.
    provider_name: Mapped[str | None] = mapped_column(String(255))
    market_rates: Mapped[bool]
    market_source_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    timezone: Mapped[str] = mapped_column(String(64))
    contract_start_date: Mapped[datetime | None]
    contract_end_date: Mapped[datetime | None]
    # The schedule as the API received it (validated); compiled for the engine when read.
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    standing_charge: Mapped[Decimal | None] = mapped_column(Numeric(14, 5))
    time_updated: Mapped[datetime]
    # When a newer tariff took its place; it prices what flowed before then (costs/).
    time_replaced: Mapped[datetime | None]
    # The local period consumption tiers (rate[].to_kwh) count energy over: DAY or MONTH.
    tier_period: Mapped[str] = mapped_column(String(8), server_default="MONTH")
