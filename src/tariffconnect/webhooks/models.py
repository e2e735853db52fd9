"""Webhook endpoints, one delivery per (event, endpoint), every attempt at it, and the keys
that sign deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.core.scoping import OwnedMixin
from tariffconnect.db.base import ID_LENGTH, Base, id_column

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
ENABLED, DISABLED = "enabled", "disabled"


class WebhookEndpoint(OwnedMixin, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_scope_id", "account_id", "live_mode", "id"),)

    id: Mapped[str] = id_column()
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(255))
    enabled_events: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    # The whsec_ secret, encrypted with the service's secret key (webhooks.signing.seal).
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    time_updated: Mapped[datetime]


class WebhookDelivery(OwnedMixin, Base):
    """The outbox: written with the event, worked off by the delivery worker."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker's scan: due, unfinished deliveries, oldest first.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
    )

    id: Mapped[str] = id_column()
    event_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("events.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    # A worker that took the delivery holds it until then; if it dies, another takes over.
    locked_until: Mapped[datetime | None]


class WebhookAttempt(OwnedMixin, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint_id", "endpoint_id", "id"),)

    id: Mapped[str] = id_column()
    delivery_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    event_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    http_status: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)


class SigningKey(Base):
    """An RSA key that signs webhooks; its public half is published at /jwks.json."""

    __tablename__ = "signing_keys"

    id: Mapped[str] = id_column()
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    time_created: Mapped[datetime]
    time_retired: Mapped[datetime | None]
