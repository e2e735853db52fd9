"""Wire models for meter records (Flatpeak's MeterRecordSubmit, `meter_batch`).

Records take anode's names (`energy_flow_direction` INBOUND/OUTBOUND, `tariff_direction`) or
zero's (`direction` IMPORT/EXPORT, `tariff_rate`). `units` W and KW are a constant power over
the record, WH and KWH its energy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from tariffconnect.core.wire import Text

MAX_RECORDS = 10_000
Units = Literal["W", "KW", "WH", "KWH"]
FlowDirection = Literal["INBOUND", "OUTBOUND"]
TariffDirection = Literal["IMPORT", "EXPORT", "LOCAL"]
# A reference is stored: no NUL (PostgreSQL text cannot hold one), checked in pydantic's core
# (a Python validator per field was a fifth of a 10,000-record batch's time).
Reference = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
# An id is only ever looked up after its shape is checked (core.ids), so junk in it is
# simply not found and never reaches the database.
ObjectId = Annotated[str, Field(max_length=255)]
Number = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=24, decimal_places=9)]


class Directions(BaseModel):
    """The direction fields every submission shares, in both releases' spellings."""

    model_config = ConfigDict(extra="forbid")

    energy_flow_direction: FlowDirection | None = Field(
        default=None, description="INBOUND (into the site, the default) or OUTBOUND."
    )
    direction: Literal["IMPORT", "EXPORT", "INBOUND", "OUTBOUND"] | None = Field(
        default=None, description="Zero's name: IMPORT is INBOUND, EXPORT is OUTBOUND."
    )
    tariff_direction: TariffDirection | None = Field(
        default=None,
        validation_alias=AliasChoices("tariff_direction", "tariff_rate"),
        description="The tariff that prices it: IMPORT for INBOUND, EXPORT for OUTBOUND.",
    )


class RecordIn(Directions):
    """One interval record (an item of PUT /meters/interval, the body of POST /costs/instant)."""

    location_id: ObjectId
    device_id: ObjectId | None = Field(
        default=None, description="Attributes the record to a device."
    )
    session_reference_id: Reference | None = None
    record_reference_id: Reference | None = Field(
        default=None, description="Your id: a record sent again with it replaces the stored one."
    )
    measurand: Literal["TRANSFERRED"] = "TRANSFERRED"
    confidence: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, description="Accepted and not used (Flatpeak: beta)."
    )
    units: Units = Field(description="W or KW: constant power over the record; WH or KWH.")
    value: Number
    start_time: AwareDatetime
    end_time: AwareDatetime


class Read(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: int = Field(ge=0, le=253_402_300_799, description="Unix epoch seconds.")
    value: Number
    record_reference_id: Reference | None = None


class CumulativeIn(Directions):
    """The body of PUT /meters/cumulative/epoch: one register's reads, oldest first."""

    location_id: Text
    device_id: Text | None = None
    session_reference_id: Reference | None = None
    units: Literal["WH", "KWH"]
    data: list[Any] = Field(
        min_length=1,
        description="Reads `{time (epoch seconds), value, record_reference_id}`, oldest first.",
    )


class FailedRecord(BaseModel):
    record_num: int = Field(description="The record's position in the submission, from 0.")
    record_reference_id: str | None
    error: str = Field(description="A code, e.g. units_invalid or location_not_found.")


class BatchOut(BaseModel):
    id: str = Field(examples=["bat_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "meter_batch"
    live_mode: bool
    records_submitted: int
    records_accepted: int
    records_processed: int
    failed_records: list[FailedRecord]
    time_created: str
    account_id: str
