"""Wire models for schedules (Flatpeak's `schedule_duration`, `schedule_limit` and
`schedule_amount`).

Requests take anode's `tariff_direction` or zero's `direction`. Power is kW and energy kWh
when given as a plain number; Flatpeak's `{"units": "W" | "KW", "value": ...}` and
`{"units": "WH" | "KWH", "value": ...}` objects are read too. Answers give both in kW / kWh.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from tariffconnect.core.wire import Instant, Numeric

Direction = Literal["IMPORT", "EXPORT"]
Segment = Literal["LOW", "HIGH"]
START_DOC = "RFC 3339 with an offset; defaults to now. Times come back in end_time's offset."
END_DOC = "RFC 3339 with an offset; at most 3 days after start_time."
SEGMENT_DOC = "LOW for the cheapest times, HIGH for the dearest."


def _direction() -> Any:
    return Field(
        default="IMPORT",
        validation_alias=AliasChoices("tariff_direction", "direction"),
        description="IMPORT (default) or EXPORT; zero's `direction` is read too.",
    )


def _per_kilo(units: dict[str, float]) -> Any:
    """A number, or Flatpeak's {units, value} object turned into that number in kilo-units."""

    def convert(value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read true as 1
            raise ValueError("expected a number")
        if not isinstance(value, dict):
            return value
        if set(value) != {"units", "value"} or value["units"] not in units:
            raise ValueError(f"expected a number or {{units: {'|'.join(units)}, value}}")
        number = value["value"]
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError("value must be a number")
        return number / units[value["units"]]

    return BeforeValidator(convert)


Kilowatts = Annotated[
    float, _per_kilo({"W": 1000, "KW": 1}), Field(gt=0, le=1e6, allow_inf_nan=False)
]
KilowattHours = Annotated[
    float, _per_kilo({"WH": 1000, "KWH": 1}), Field(gt=0, le=1e7, allow_inf_nan=False)
]
Share = Annotated[Decimal, Numeric, Field(ge=Decimal("0.01"), le=Decimal(1), allow_inf_nan=False)]
Price = Annotated[Decimal, Numeric, Field(allow_inf_nan=False, max_digits=20, decimal_places=10)]


class ScheduleWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_time: Instant | None = Field(default=None, description=START_DOC)
    end_time: Instant = Field(description=END_DOC)
    tariff_direction: Direction = _direction()
    segment: Segment = Field(description=SEGMENT_DOC)


class DurationRequest(ScheduleWindow):
    """The body of POST /schedules/duration/{location_id}."""

    duration: int = Field(ge=1, le=4320, description="Minutes wanted; at most the window's length.")
    continuous: bool = Field(
        default=False, description="true for one unbroken window; false lets it be split."
    )


# relative or absolute, given as a number (the service's check, relative_missing, decides).
_ONE_LIMIT: JsonDict = {
    "anyOf": [
        {"required": [name], "properties": {name: {"type": "number"}}}
        for name in ("relative", "absolute")
    ]
}


class LimitRequest(ScheduleWindow):
    """The body of POST /schedules/limit/{location_id}: `relative` or `absolute`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_ONE_LIMIT)

    relative: Share | None = Field(
        default=None, description="0.01 to 1: the share of the window's price range to take."
    )
    absolute: Price | None = Field(
        default=None, description="A price per kWh in major units; wins over relative."
    )


class Shaving(BaseModel):
    """A price cap for imports (a floor for exports): `absolute` wins over `relative`."""

    model_config = ConfigDict(extra="forbid")

    relative: Share | None = Field(
        default=None, description="0.01 to 1 of the window's price range, from the best price."
    )
    absolute: Price | None = Field(default=None, description="Major units per kWh.")


class DeviceDemand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str
    tariff_direction: Direction = _direction()
    start_time: Instant | None = Field(
        default=None, description="When the device can start; defaults to now."
    )
    end_time: Instant = Field(description="When its energy must be in.")
    max_power: Kilowatts | None = Field(
        default=None, description="kW (or {units, value}); defaults to the site's max_power."
    )
    energy: KilowattHours = Field(description="kWh (or {units, value}) needed by end_time.")


class AmountRequest(BaseModel):
    """The body of POST /schedules/amount/{location_id}."""

    model_config = ConfigDict(extra="forbid")

    max_power: Kilowatts = Field(description="The site's limit in kW (or {units, value}).")
    shaving_threshold: Shaving | None = None
    devices: list[DeviceDemand] = Field(
        min_length=1,
        max_length=50,
        validation_alias=AliasChoices("devices", "data"),
        description="The devices to schedule; Flatpeak's `data` is read too.",
    )


# --- answers ---------------------------------------------------------------------------------


class Rate(BaseModel):
    rate_avg: float = Field(description="Time-weighted average price per kWh, major units.")
    confidence: float = Field(description="The lowest confidence of the prices in the window.")


class Window(BaseModel):
    start_time: str
    end_time: str
    tariff: Rate


class DurationEcho(BaseModel):
    tariff_direction: Direction
    segment: Segment
    duration: int
    continuous: bool
    start_time: str
    end_time: str


class LimitEcho(BaseModel):
    tariff_direction: Direction
    segment: Segment
    relative: float | None
    absolute: float | None
    start_time: str
    end_time: str


class ScheduleHead(BaseModel):
    id: str
    object: str
    live_mode: bool
    location_id: str
    location_timezone: str
    currency_code: str
    tariff_direction: Direction
    next_update: str


class DurationOut(ScheduleHead):
    request: DurationEcho
    data: list[Window]
    time_created: str
    account_id: str


class LimitOut(ScheduleHead):
    duration: int | float = Field(description="Total minutes of the windows.")
    request: LimitEcho
    data: list[Window]
    time_created: str
    account_id: str


class Power(BaseModel):
    units: Literal["KW"] = "KW"
    value: float


class Energy(BaseModel):
    units: Literal["KWH"] = "KWH"
    value: float


class Cost(BaseModel):
    value: float = Field(description="Major units; negative where exports earn money.")
    confidence: float


class Savings(BaseModel):
    value: float = Field(description="Against running at full power from start_time.")
    percentage: float = Field(description="Of the unscheduled cost, in percent.")


class ShavingEcho(BaseModel):
    relative: float | None
    absolute: float | None


class Run(BaseModel):
    start_time: str
    end_time: str
    power: Power


class Unreachable(BaseModel):
    object: Literal["error"] = "error"
    type: Literal["invalid_request"] = "invalid_request"
    code: Literal["energy_unreachable"] = "energy_unreachable"
    message: str
    energy_reachable: Energy


class DevicePlan(BaseModel):
    device_id: str
    tariff_direction: Direction
    start_time: str
    end_time: str
    max_power: Power
    energy: Energy
    cost: Cost
    savings: Savings
    schedule: list[Run]
    error: Unreachable | None


class AmountOut(BaseModel):
    id: str
    object: str = "schedule_amount"
    live_mode: bool
    location_id: str
    location_timezone: str
    currency_code: str
    max_power: Power
    shaving_threshold: ShavingEcho | None
    cost: Cost
    savings: Savings
    next_update: str
    data: list[DevicePlan]
    time_created: str
    account_id: str
