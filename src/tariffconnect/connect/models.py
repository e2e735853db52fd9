"""Connect sessions (`cot_`): one customer's trip through Connect for one location."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core import versions
from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column

URL_MAX_LENGTH = 2048


class ConnectSession(OwnedMixin, Base):
    __tablename__ = "connect_sessions"
    __table_args__ = (Index("ix_connect_sessions_scope_id", "account_id", "live_mode", "id"),)

    id: Mapped[str] = id_column()
    # Null for a token created without a location: the flow creates it when it completes.
    location_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("devices.id", ondelete="SET NULL")
    )
    # Providers are a shipped catalogue, not rows: the id is checked against it on write.
    provider_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    connect_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH))
    callback_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH))
    # CREATED, IN_PROGRESS or COMPLETED; EXPIRED is derived from time_expiry when read.
    status: Mapped[str] = mapped_column(String(16))
    time_expiry: Mapped[datetime]
    time_completed: Mapped[datetime | None]
    # Where the customer is in the Connect flow and what they answered (connect/flow/state.py);
    # null until the flow starts.
    flow: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The release the session was created in (its flow answers in that release's route names).
    release: Mapped[str] = mapped_column(
        String(32), default=versions.BUSBAR, server_default=versions.BUSBAR
    )
    tariff_direction: Mapped[str] = mapped_column(
        String(16), default="IMPORT", server_default="IMPORT"
    )
    tariff_type: Mapped[str] = mapped_column(
        String(16), default="COMMODITY", server_default="COMMODITY"
    )
    # What a location-less token makes when the flow completes: the location's customer
    # (given, or made with this reference) and the location's reference_id.
    customer_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("customers.id", ondelete="SET NULL")
    )
    customer_reference_id: Mapped[str | None] = mapped_column(String(255))
    location_reference_id: Mapped[str | None] = mapped_column(String(255))
    # The token's `actions`, `route_options`, `postal_address` (a prefill) and
    # `postal_address_type`, as given (connect/schemas.py ConnectTokenCreate).
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
