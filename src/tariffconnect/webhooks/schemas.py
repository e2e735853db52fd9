"""Wire models for webhook endpoints and their delivery attempts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from tariffconnect.core.wire import Text

EVENT_TYPES = frozenset(
    {
        "connect_session.create",
        "connect_session.update",
        "connect_session.complete",
        "customer.create",
        "customer.update",
        "customer.delete",
        "device.create",
        "device.update",
        "device.delete",
        "location.create",
        "location.update",
        "location.delete",
        "tariff.create",
        "tariff.update",
        "tariff.delete",
        "tariff.expiring",
        "tariff.expired",
        "tariff.fetch.failed",
        "tariff.connection.upgrade",
    }
)
ALL_EVENTS = "*"
# What every accepted endpoint URL matches, for the schema: http or https, a host part without
# user info, no fragment, no whitespace, control characters or backslashes. The rest of the
# rules (https outside test mode's localhost, no private addresses, host names) depend on the
# mode and the address: the operation documents them as 400 url_invalid.
_URL_TEXT = r"[^\s\\#\x00-\x1f\x7f-\x9f]"
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\\@/?#\x00-\x1f\x7f-\x9f]+"
    f"(?:[/?]{_URL_TEXT}*)?$"
)
EVENTS_DOC = "Event types, or `*` for all."
# The schema lists the known types; _known_events decides, with its own message.
EVENTS_SCHEMA: JsonDict = {
    "items": {"type": "string", "enum": [name for name in sorted(EVENT_TYPES | {ALL_EVENTS})]}
}
URL_SCHEMA: JsonDict = {"pattern": URL_PATTERN}


def _known_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - EVENT_TYPES - {ALL_EVENTS})
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(value))


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2048,
        examples=["https://app.example.com/webhooks/tariffs"],
        json_schema_extra=URL_SCHEMA,
    )
    enabled_events: list[str] = Field(
        default=[ALL_EVENTS],
        min_length=1,
        description=EVENTS_DOC,
        json_schema_extra=EVENTS_SCHEMA,
    )
    description: Text | None = Field(default=None, max_length=255)

    _events = field_validator("enabled_events")(_known_events)


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2048, json_schema_extra=URL_SCHEMA)
    enabled_events: list[str] | None = Field(
        default=None, min_length=1, description=EVENTS_DOC, json_schema_extra=EVENTS_SCHEMA
    )
    description: Text | None = Field(default=None, max_length=255)
    status: Literal["enabled", "disabled"] | None = None

    _events = field_validator("enabled_events")(_known_events)


class WebhookEndpointOut(BaseModel):
    id: str = Field(examples=["we_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "webhook_endpoint"
    live_mode: bool
    url: str
    enabled_events: list[str]
    description: str | None
    status: str = Field(description="enabled or disabled")
    disabled_reason: str | None
    time_created: str
    secret: str | None = Field(
        default=None, description="The whsec_ signing secret: shown once, at creation."
    )


class WebhookAttemptOut(BaseModel):
    id: str
    object: str = "webhook_attempt"
    event_id: str
    delivery_id: str
    time_created: str
    http_status: int | None
    latency_ms: int
    error: str | None


class Redelivery(BaseModel):
    object: str = "event_redelivery"
    event_id: str
    deliveries: int = Field(description="How many endpoints the event was queued for.")
