"""Meter records (`mre_`) and the batches (`bat_`) that brought them.

On PostgreSQL `meter_records` is partitioned by month of `start_time` (declarative range
partitioning, meters/partitions.py), so its primary key includes `start_time`; on SQLite it is
one plain table with the same columns and indexes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base

REFERENCE_LENGTH = 255
INBOUND, OUTBOUND = "INBOUND", "OUTBOUND"


class MeterRecord(OwnedMixin, Base):
    __tablename__ = "meter_records"
    __table_args__ = (
        # Costs read a location's (or a device's) records of a direction over a window.
        Index("ix_meter_records_location", "account_id", "live_mode", "location_id", "start_time"),
        Index("ix_meter_records_device", "account_id", "live_mode", "device_id", "start_time"),
        Index("ix_meter_records_session", "account_id", "live_mode", "session_reference_id"),
        {"postgresql_partition_by": "RANGE (start_time)"},
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    start_time: Mapped[datetime] = mapped_column(primary_key=True)
    end_time: Mapped[datetime]
    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE")
    )
    device_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    batch_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    session_reference_id: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    record_reference_id: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    energy_flow_direction: Mapped[str] = mapped_column(String(8))
    tariff_direction: Mapped[str] = mapped_column(String(8))
    # Energy in watt-hours, to the microwatt-hour (W and KW records are power times duration).
    energy_wh: Mapped[Decimal] = mapped_column(Numeric(24, 6))


class MeterRecordReference(Base):
    """The stored record a record_reference_id names (meters/references.py says why)."""

    __tablename__ = "meter_record_references"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    live_mode: Mapped[bool] = mapped_column(primary_key=True)
    record_reference_id: Mapped[str] = mapped_column(String(REFERENCE_LENGTH), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    start_time: Mapped[datetime]


class MeterBatch(OwnedMixin, Base):
    __tablename__ = "meter_batches"
    __table_args__ = (Index("ix_meter_batches_scope_id", "account_id", "live_mode", "id"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    records_submitted: Mapped[int] = mapped_column(Integer)
    records_accepted: Mapped[int] = mapped_column(Integer)
    records_processed: Mapped[int] = mapped_column(Integer)
    failed_records: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
