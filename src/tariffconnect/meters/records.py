"""One submitted record checked and turned into what is stored, or the code of its fault.

Pure: nothing here reads the database (the service checks locations and devices). A fault is
reported per record (`failed_records`), so every check gives a code rather than raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from tariffconnect.core.errors import from_validation_errors
from tariffconnect.core.windows import MAX_YEAR, MIN_YEAR
from tariffconnect.meters.models import INBOUND, OUTBOUND
from tariffconnect.meters.schemas import Directions, RecordIn

LONGEST = timedelta(days=31)
_WH = Decimal("0.000001")
_LARGEST_WH = Decimal(10) ** 18
_MICROS_PER_HOUR = Decimal(3_600_000_000)
_PER_WH = {"WH": Decimal(1), "KWH": Decimal(1000), "W": Decimal(1), "KW": Decimal(1000)}
_FLOW_OF = {"IMPORT": INBOUND, "EXPORT": OUTBOUND, INBOUND: INBOUND, OUTBOUND: OUTBOUND}
_TARIFF_OF = {INBOUND: "IMPORT", OUTBOUND: "EXPORT"}


class RecordFault(Exception):
    """A record that cannot be stored, with the code reported for it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Checked:
    """A record ready to store: UTC times, energy in Wh, both directions resolved."""

    location_id: str
    device_id: str | None
    session_reference_id: str | None
    record_reference_id: str | None
    energy_flow_direction: str
    tariff_direction: str
    start_time: datetime
    end_time: datetime
    energy_wh: Decimal


def reference_of(item: Any) -> str | None:
    """The record_reference_id of a submitted item, if it has a usable one."""
    if isinstance(item, dict):
        found = item.get("record_reference_id")
        return found if isinstance(found, str) else None
    return None


def directions(given: Directions) -> tuple[str, str]:
    """(energy flow, tariff direction) from either release's fields; RecordFault if they
    disagree or name a tariff direction that is not priced (LOCAL)."""
    flow: str | None = given.energy_flow_direction
    if given.direction is not None:
        zero = _FLOW_OF[given.direction]
        if flow is not None and flow != zero:
            raise RecordFault("direction_invalid")
        flow = zero
    if flow is None:
        flow = OUTBOUND if given.tariff_direction == "EXPORT" else INBOUND
    tariff: str = given.tariff_direction or _TARIFF_OF[flow]
    if tariff == "LOCAL":
        raise RecordFault("tariff_direction_not_supported")
    return flow, tariff


def parse(item: Any) -> RecordIn:
    """The item as a RecordIn; RecordFault with the field's code (`units_invalid`, ...)."""
    if not isinstance(item, dict):
        raise RecordFault("record_invalid")
    try:
        return RecordIn.model_validate(item)
    except ValidationError as error:
        raise RecordFault(from_validation_errors(error.errors()).code) from None


def energy_wh(units: str, value: Decimal, start: datetime, end: datetime) -> Decimal:
    """The energy of a record in Wh: W and KW are a constant power over [start, end)."""
    if value < 0:
        raise RecordFault("value_invalid")
    energy = value * _PER_WH[units]
    if units in ("W", "KW"):
        energy = energy * Decimal((end - start) // timedelta(microseconds=1)) / _MICROS_PER_HOUR
    energy = energy.quantize(_WH, ROUND_HALF_UP)
    if energy >= _LARGEST_WH:
        raise RecordFault("value_invalid")
    return energy


def check_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The record's times in UTC; RecordFault unless it is a positive span of ≤ 31 days."""
    if start.year < MIN_YEAR or start.year > MAX_YEAR:
        raise RecordFault("start_time_invalid")
    if end.year < MIN_YEAR or end.year > MAX_YEAR:
        raise RecordFault("end_time_invalid")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise RecordFault("end_time_before_start_time")
    if end - start > LONGEST:
        raise RecordFault("record_too_long")
    return start, end


def check(item: Any) -> Checked:
    """A submitted interval record, checked; RecordFault naming the first fault."""
    return checked(parse(item))


def checked(record: RecordIn) -> Checked:
    """A parsed record's times, directions and energy checked; RecordFault naming a fault."""
    flow, tariff = directions(record)
    start, end = check_span(record.start_time, record.end_time)
    return Checked(
        location_id=record.location_id,
        device_id=record.device_id,
        session_reference_id=record.session_reference_id,
        record_reference_id=record.record_reference_id,
        energy_flow_direction=flow,
        tariff_direction=tariff,
        start_time=start,
        end_time=end,
        energy_wh=energy_wh(record.units, record.value, start, end),
    )
