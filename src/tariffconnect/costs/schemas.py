"""Wire models for costs (Flatpeak's `meter_record` with `cost`, and `energy_cost`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tariffconnect.core.wire import Instant

Aggregation = Literal["DAY", "MONTH"]
Direction = Literal["IMPORT", "EXPORT"]


class CostWindow(BaseModel):
    """The body of POST /costs/interval/{location_id or device_id}."""

    model_config = ConfigDict(extra="forbid")

    start_time: Instant = Field(description="RFC 3339 with an offset.")
    end_time: Instant = Field(
        description="RFC 3339 with an offset; at most 366 days on. Times come back in its offset."
    )


class Energy(BaseModel):
    value: float = Field(description="Watt-hours (energy_units), to the milliwatt-hour.")


class Cost(BaseModel):
    value: float = Field(description="Major units, rounded once to 5 decimals.")
    confidence: float = Field(description="1 unless a forecast market price was used.")


class RecordCost(BaseModel):
    start_time: str
    end_time: str
    session_reference_id: str | None
    record_reference_id: str | None
    energy: Energy
    cost: Cost


class InstantEcho(BaseModel):
    non_persistent: bool
    location_id: str
    device_id: str | None
    session_reference_id: str | None
    record_reference_id: str | None
    units: str
    value: float
    start_time: str
    end_time: str


class MeterRecordOut(BaseModel):
    id: str = Field(examples=["mre_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "meter_record"
    live_mode: bool
    location_id: str
    device_id: str | None
    energy_flow_direction: str
    tariff_direction: str
    currency_code: str
    energy_units: str = "WH"
    request: InstantEcho
    data: RecordCost
    time_created: str
    account_id: str


class PeriodCost(BaseModel):
    start_time: str
    end_time: str
    energy: Energy
    cost: Cost


class CostEcho(BaseModel):
    start_time: str
    end_time: str
    aggregation: Aggregation | None = None
    tariff_direction: Direction
    session_reference_id: str | None = None


class EnergyCostOut(BaseModel):
    id: str = Field(examples=["ecs_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "energy_cost"
    object_id: str = Field(description="The location, device or session asked about.")
    live_mode: bool
    location_id: str
    tariff_direction: Direction
    location_timezone: str
    currency_code: str
    energy_units: str = "WH"
    request: CostEcho
    data: list[PeriodCost]
    time_created: str
    account_id: str
