"""Wire models for price audits (Flatpeak's `price_audit`, zero's `tariff_rate_audit`)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from tariffconnect.core.wire import Instant

Direction = Literal["IMPORT", "EXPORT"]


class AuditRequest(BaseModel):
    """The body of POST /audits/{location_id}."""

    model_config = ConfigDict(extra="forbid")

    start_time: Instant | None = Field(
        default=None, description="RFC 3339 with an offset; defaults to now."
    )
    end_time: Instant = Field(description="RFC 3339 with an offset; at most 90 days on.")
    tariff_direction: Direction = Field(
        default="IMPORT",
        validation_alias=AliasChoices("tariff_direction", "direction"),
        description="IMPORT (default) or EXPORT; zero's `direction` is read too.",
    )


class Commodity(BaseModel):
    market: float = Field(description="The market price the market tariffs follow.")
    fixed: float = Field(description="Fixed rates, and the fixed surcharges on market prices.")
    percentage: float = Field(description="What the percentage surcharges add.")
    tier: float = Field(description="Where the applicable consumption tier starts, in kWh.")
    aggregate: float = Field(description="market + fixed + percentage.")


class NonCommodity(BaseModel):
    fixed: float = Field(description="The network and other non-commodity charges.")
    tier: float = Field(description="Where the applicable consumption tier starts, in kWh.")


class TariffRate(BaseModel):
    commodity: Commodity | None = Field(description="null when no commodity tariff is priced.")
    non_commodity: NonCommodity | None = Field(
        description="null when no non-commodity tariff is priced."
    )
    total: float = Field(description="Exactly the value POST /prices gives for this time.")
    confidence: float


class AuditInterval(BaseModel):
    valid_from: str
    valid_to: str
    tariff_rate: TariffRate


class AuditEcho(BaseModel):
    start_time: str
    end_time: str
    tariff_direction: Direction


class AuditOut(BaseModel):
    id: str = Field(examples=["tra_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "price_audit"
    live_mode: bool
    location_id: str
    location_timezone: str
    currency_code: str
    tariff_direction: Direction
    request: AuditEcho
    market_sources: list[str]
    data: list[AuditInterval]
    time_created: str
    account_id: str


class ZeroAuditEcho(AuditEcho):
    model_config = ConfigDict(serialize_by_alias=True)

    tariff_direction: Direction = Field(serialization_alias="direction")


class ZeroAuditOut(AuditOut):
    """Zero's `tariff_rate_audit` (GET /tariffs/audit/{location_id}): the audit in zero's
    names, with `carbon_sources` (none: TariffConnect has no carbon data)."""

    model_config = ConfigDict(serialize_by_alias=True)

    object: str = "tariff_rate_audit"
    tariff_direction: Direction = Field(serialization_alias="direction")
    request: ZeroAuditEcho
    carbon_sources: list[str] = Field(default_factory=list)
