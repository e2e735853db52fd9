"""The tables of DIRECT connections: operators' module bindings, the customers' sealed
credentials, and one connection per location and tariff element that the refresh keeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column

URL_MAX_LENGTH = 2048
# DirectConnection.status
PENDING, CONNECTED, ERROR = "PENDING", "CONNECTED", "ERROR"


class AuthModule(Base):
    """An operator's binding of a provider to the URL of its auth module
    (`tariffconnect provider auth-module`); providers themselves are the shipped catalogue."""

    __tablename__ = "auth_modules"

    provider_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH))
    time_created: Mapped[datetime]
    time_updated: Mapped[datetime]


class AuthMetadata(OwnedMixin, Base):
    """One customer's credentials for one provider (`amd_`), sealed with the secret key
    (integrations/vault.py): never logged, never answered by any API."""

    __tablename__ = "auth_metadata"
    __table_args__ = (Index("ix_auth_metadata_scope_id", "account_id", "live_mode", "id"),)

    id: Mapped[str] = id_column()
    connect_session_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("connect_sessions.id", ondelete="SET NULL"), index=True
    )
    # Null until a session made without a location creates it; deleting the location
    # deletes its credentials.
    location_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    tariff_direction: Mapped[str] = mapped_column(String(8))
    tariff_type: Mapped[str] = mapped_column(String(16))
    # nonce + AES-GCM ciphertext of the JSON {credentials, reference}.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Credentials whose consent never came are deleted after 30 days.
    consent_given_at: Mapped[datetime | None]


class DirectConnection(OwnedMixin, Base):
    """A location's tariff element connected DIRECT (`dcn_`): where its tariff is pulled from,
    and how the pulls went. The refresh task picks rows by `next_refresh_at`."""

    __tablename__ = "direct_connections"
    __table_args__ = (
        Index("ix_direct_connections_scope_id", "account_id", "live_mode", "id"),
        UniqueConstraint("location_id", "tariff_direction", "tariff_type"),
        Index("ix_direct_connections_next_refresh_at", "next_refresh_at"),
    )

    id: Mapped[str] = id_column()
    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE")
    )
    tariff_direction: Mapped[str] = mapped_column(String(8))
    tariff_type: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    auth_metadata_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("auth_metadata.id", ondelete="CASCADE"), index=True
    )
    # PENDING until the first pull stores a tariff; CONNECTED; ERROR once pulls have failed
    # for the setting `direct_fetch_failed_after_hours`.
    status: Mapped[str] = mapped_column(String(16))
    tariff_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))  # the tariff last stored
    next_refresh_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    # The first failure of the current run of failures; null after a success.
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # When `tariff.fetch.failed` was emitted for the current run of failures (once per run).
    fetch_failed_at: Mapped[datetime | None]
    # sha256 of the answer that stored `tariff_id`: the same answer again skips the comparison
    # and the write (integrations/pull.py).
    answer_digest: Mapped[str | None] = mapped_column(String(64))
    # Until when a pull in progress owns the row (integrations/pull.py CLAIM): no other
    # claimer (the refresh, an operator's pass) pulls it meanwhile. Null when nobody does.
    claimed_until: Mapped[datetime | None]
    # Pulls attempted, counted under the row's lock (the sandbox's scenarios read it).
    pulls: Mapped[int] = mapped_column(default=0, server_default="0")


class ConnectionUpgrade(Base):
    """`tariff.connection.upgrade` was emitted for this location and provider: once only."""

    __tablename__ = "connection_upgrades"

    location_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    time_created: Mapped[datetime]
