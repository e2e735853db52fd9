"""Wire models for prices (Flatpeak's `price` object)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tariffconnect.core.wire import Instant
from tariffconnect.tariffs.schemas import StandingCharge

Direction = Literal["IMPORT", "EXPORT"]
START_DOC = "RFC 3339 with an offset; defaults to now. Intervals come back in end_time's offset."


class PriceWindow(BaseModel):
    """The body of POST /prices/{location_id} (anode)."""

    model_config = ConfigDict(extra="forbid")

    start_time: Instant | None = Field(default=None, description=START_DOC)
    end_time: Instant = Field(description="RFC 3339 with an offset; at most 90 days on.")
    tariff_direction: Direction = "IMPORT"


class PriceRequest(PriceWindow):
    """The body of POST /prices (busbar)."""

    location_id: str
    device_id: str | None = None


class PriceValue(BaseModel):
    value: float = Field(description="Major currency units per kWh, at most 5 decimals.")
    confidence: float = Field(description="1 for confirmed prices, below 1 for forecasts.")


class PriceInterval(BaseModel):
    valid_from: str
    valid_to: str
    price: PriceValue


class PriceEcho(BaseModel):
    location_id: str
    device_id: str | None
    start_time: str
    end_time: str
    tariff_direction: Direction


class PriceOut(BaseModel):
    id: str = Field(examples=["prs_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "price"
    live_mode: bool
    location_id: str
    device_id: str | None
    location_timezone: str
    currency_code: str
    tariff_direction: Direction
    last_updated: str
    next_update: str
    request: PriceEcho
    data: list[PriceInterval]
    standing_charge: StandingCharge | None = Field(
        description="Per day, summed over the tariffs priced; not part of the per-kWh prices."
    )
    time_created: str
    account_id: str


class TariffRateValue(BaseModel):
    rate: float = Field(description="Major currency units per kWh, at most 5 decimals.")
    confidence: float = Field(description="1 for confirmed rates, below 1 for forecasts.")


class TariffRateInterval(BaseModel):
    valid_from: str
    valid_to: str
    tariff: TariffRateValue | None = Field(default=None, description="With include_tariff.")
    carbon: None = Field(
        default=None, description="With include_carbon: null, TariffConnect has no carbon data."
    )


class TariffRateEcho(BaseModel):
    include_tariff: bool
    include_carbon: bool
    direction: Direction
    start_time: str
    end_time: str


class TariffRateOut(BaseModel):
    """Zero's `tariff_rate`: the rates of GET /tariffs/rates/{location_id}."""

    id: str = Field(examples=["rts_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "tariff_rate"
    live_mode: bool
    location_id: str
    location_timezone: str
    currency_code: str
    direction: Direction
    last_updated: str
    next_update: str
    request: TariffRateEcho
    data: list[TariffRateInterval]
    time_created: str
    account_id: str
