"""Wire models for tariffs (Flatpeak's anode/busbar tariff object)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer

from tariffconnect.core.wire import Moment, Numeric, Text
from tariffconnect.tariffs.schedule import ScheduleEntry

Direction = Literal["IMPORT", "EXPORT"]
TariffType = Literal["COMMODITY", "NON_COMMODITY"]
TierPeriod = Literal["DAY", "MONTH"]
TIER_PERIOD_DOC = (
    "The local period whose energy consumption tiers (rate[].to_kwh) count: MONTH (default) "
    "or DAY. Costs apply every tier; /prices answers the first."
)
# Money goes out as a JSON number (major units, at most 5 decimals), never as a string.
Money = Annotated[
    Decimal,
    Numeric,
    Field(max_digits=14, decimal_places=5, allow_inf_nan=False),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class StandingCharge(BaseModel):
    """A fixed charge per day, reported beside the per-kWh prices, never mixed into them."""

    model_config = ConfigDict(extra="forbid")

    value: Money = Field(ge=0)
    unit: Literal["per_day"] = "per_day"


class TariffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    location_id: str
    # Flatpeak's zero release called these `direction` and `type`: both spellings are accepted.
    tariff_direction: Direction = Field(
        default="IMPORT", validation_alias=AliasChoices("tariff_direction", "direction")
    )
    tariff_type: TariffType = Field(
        default="COMMODITY", validation_alias=AliasChoices("tariff_type", "type")
    )
    display_name: Text | None = Field(default=None, max_length=255)
    provider_id: str | None = None
    market_rates: bool = False
    market_source_id: str | None = Field(
        default=None,
        description="The market source (`mrs_…`) whose prices a market-rate tariff follows.",
    )
    contract_start_date: Moment | None = None
    contract_end_date: Moment | None = Field(default=None, description="Null: until terminated.")
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=64)
    standing_charge: StandingCharge | None = None
    tier_period: TierPeriod = Field(default="MONTH", description=TIER_PERIOD_DOC)


class TariffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: Text | None = Field(default=None, max_length=255)
    provider_id: str | None = None
    contract_start_date: Moment | None = None
    contract_end_date: Moment | None = None
    schedule: list[ScheduleEntry] | None = Field(default=None, min_length=1, max_length=64)
    standing_charge: StandingCharge | None = None
    tier_period: TierPeriod | None = Field(default=None, description=TIER_PERIOD_DOC)


class TariffOut(BaseModel):
    id: str = Field(examples=["trf_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "tariff"
    live_mode: bool
    location_id: str
    tariff_direction: Direction
    tariff_type: TariffType
    connection_type: str = Field(description="MANUAL, LIBRARY, MARKET or DIRECT.")
    is_linked: bool = Field(
        description="True when the tariff follows an outside source (the library, a provider)."
    )
    status: str = Field(description="CONNECTED, or REPLACED once a newer tariff took its place.")
    display_name: str | None
    provider_id: str | None
    market_rates: bool
    market_source_id: str | None
    timezone: str
    contract_start_date: str | None
    contract_end_date: str | None
    schedule: list[dict[str, Any]]
    standing_charge: StandingCharge | None
    tier_period: TierPeriod
    time_created: str
    time_updated: str
    account_id: str


class TariffElementOut(TariffOut):
    """The tariff as zero's `/tariffs/elements` names it: `direction` and `type`."""

    model_config = ConfigDict(serialize_by_alias=True)

    tariff_direction: Direction = Field(serialization_alias="direction")
    tariff_type: TariffType = Field(serialization_alias="type")
