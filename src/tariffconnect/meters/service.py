"""Meter submissions: records checked one by one, the good ones stored, the batch kept.

A record re-sent with a `record_reference_id` replaces the stored record with that id (of the
caller's account and mode), never adds a second. Replacing is a delete and an insert in the
request's transaction; on PostgreSQL a transaction-level advisory lock per account and mode
runs one account's submissions one after the other, so two concurrent batches re-sending a
record cannot both insert it (SQLite has one writer anyway). Partitioned tables cannot carry
a unique index that leaves out the partition key, which is why this is not an upsert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, from_validation_errors, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope, get_owned, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.db.bulk import insert_rows
from tariffconnect.devices import service as devices
from tariffconnect.devices.models import Device
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.meters import partitions, records, references
from tariffconnect.meters.models import MeterBatch, MeterRecord
from tariffconnect.meters.records import Checked, RecordFault
from tariffconnect.meters.schemas import MAX_RECORDS, BatchOut, CumulativeIn, FailedRecord, Read

_CHUNK = 500  # ids per IN (...) on SQLite


def too_many(count: int) -> ApiError:
    return ApiError(
        413, "too_many_records", f"A batch holds at most {MAX_RECORDS} records, not {count}."
    )


def submit_interval(session: Session, *, scope: Scope, items: Sequence[Any]) -> BatchOut:
    """Check each record, store the good ones, and keep the batch's account of them."""
    if len(items) > MAX_RECORDS:
        raise too_many(len(items))
    failed: list[FailedRecord] = []
    good: list[tuple[int, Checked]] = []
    for number, item in enumerate(items):
        try:
            good.append((number, records.check(item)))
        except RecordFault as fault:
            failed.append(_failed(number, records.reference_of(item), fault.code))
    owned_locations = _owned(session, scope, Location, "loc", {c.location_id for _, c in good})
    owned_devices = _owned(
        session, scope, Device, "dev", {c.device_id for _, c in good if c.device_id}
    )
    kept = []
    for number, checked in good:
        code = None
        if checked.location_id not in owned_locations:
            code = "location_not_found"
        elif checked.device_id is not None and checked.device_id not in owned_devices:
            code = "device_not_found"
        if code is None:
            kept.append(checked)
        else:
            failed.append(_failed(number, checked.record_reference_id, code))
    failed.sort(key=lambda f: f.record_num)
    return _finish(session, scope, submitted=len(items), kept=kept, failed=failed)


def submit_cumulative(session: Session, *, scope: Scope, body: CumulativeIn) -> BatchOut:
    """Register reads turned into interval records, one between each read and the next.

    The first usable read is the baseline (it makes no record); a read whose register went
    down fails (`meter_register_decreased`) and becomes the baseline for the next one, as after
    a meter exchange.
    """
    if len(body.data) > MAX_RECORDS:
        raise too_many(len(body.data))
    location = locations.get_or_raise(session, scope=scope, location_id=body.location_id)
    if body.device_id is not None:
        devices.get_or_raise(session, scope=scope, device_id=body.device_id)
    try:
        flow, tariff = records.directions(body)
    except RecordFault as fault:
        raise ApiError(400, fault.code, f"{fault.code}: the directions do not agree.") from None
    # What every record of the register shares; each read fills in its own interval.
    template = Checked(
        location_id=location.id,
        device_id=body.device_id,
        session_reference_id=body.session_reference_id,
        record_reference_id=None,
        energy_flow_direction=flow,
        tariff_direction=tariff,
        start_time=_moment(0),
        end_time=_moment(0),
        energy_wh=Decimal(0),
    )
    failed: list[FailedRecord] = []
    kept: list[Checked] = []
    previous: Read | None = None
    for number, item in enumerate(body.data):
        try:
            read = _read(item)
            baseline, previous = previous, _next_baseline(previous, read)
            if baseline is not None:
                kept.append(_between(template, baseline, read, body.units))
        except RecordFault as fault:
            failed.append(_failed(number, records.reference_of(item), fault.code))
    return _finish(session, scope, submitted=len(body.data), kept=kept, failed=failed)


def _next_baseline(previous: Read | None, read: Read) -> Read:
    """The read the next one is measured from: this one, unless it is not later."""
    if previous is not None and read.time <= previous.time:
        raise RecordFault("end_time_before_start_time")
    return read


def _between(template: Checked, baseline: Read, read: Read, units: str) -> Checked:
    """The interval record from `baseline` to `read`; RecordFault if the register went down."""
    if read.value < baseline.value:
        raise RecordFault("meter_register_decreased")
    start, end = records.check_span(_moment(baseline.time), _moment(read.time))
    energy = records.energy_wh(units, read.value - baseline.value, start, end)
    return replace(
        template,
        record_reference_id=read.record_reference_id,
        start_time=start,
        end_time=end,
        energy_wh=energy,
    )


def _failed(number: int, reference: str | None, code: str) -> FailedRecord:
    return FailedRecord(record_num=number, record_reference_id=reference, error=code)


def get_batch(session: Session, *, scope: Scope, batch_id: str) -> BatchOut:
    """The caller's batch, or 404 `batch_not_found`."""
    batch = get_owned(session, MeterBatch, scope, batch_id, prefix="bat")
    if batch is None:
        raise not_found("batch_not_found", f"No meter batch {batch_id}.")
    return _render(batch)


def store(
    session: Session, *, scope: Scope, kept: Sequence[Checked], batch_id: str | None, now: datetime
) -> list[str]:
    """Store checked records (replacing those with the same record_reference_id); their ids."""
    if not kept:
        return []
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        partitions.ensure(
            session.get_bind().engine, {partitions.month_of(c.start_time) for c in kept}
        )
        key = f"meters:{scope.account_id}:{scope.live_mode}"
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    # Within one batch the last record with a reference wins, as if sent one after the other.
    last: dict[str, int] = {}
    for position, checked in enumerate(kept):
        if checked.record_reference_id is not None:
            last[checked.record_reference_id] = position
    if last:
        references.replace(session, scope=scope, references=list(last))
    rows = []
    ids = []
    named = []
    for position, checked in enumerate(kept):
        reference = checked.record_reference_id
        if reference is not None and last[reference] != position:
            continue
        record_id = new_id("mre")
        ids.append(record_id)
        if reference is not None:
            named.append((reference, record_id, checked.start_time))
        rows.append(
            {
                "id": record_id,
                "start_time": checked.start_time,
                "end_time": checked.end_time,
                "location_id": checked.location_id,
                "device_id": checked.device_id,
                "batch_id": batch_id,
                "session_reference_id": checked.session_reference_id,
                "record_reference_id": reference,
                "energy_flow_direction": checked.energy_flow_direction,
                "tariff_direction": checked.tariff_direction,
                "energy_wh": checked.energy_wh,
                "account_id": scope.account_id,
                "live_mode": scope.live_mode,
                "time_created": now,
            }
        )
    insert_rows(session, MeterRecord, rows)
    references.remember(session, scope=scope, rows=named)
    return ids


def _finish(
    session: Session,
    scope: Scope,
    *,
    submitted: int,
    kept: Sequence[Checked],
    failed: list[FailedRecord],
) -> BatchOut:
    now = utcnow()
    batch = MeterBatch(
        id=new_id("bat"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        records_submitted=submitted,
        records_accepted=submitted - len(failed),
        # Records are checked and stored before the answer: every one is processed.
        records_processed=submitted,
        failed_records=[f.model_dump() for f in failed],
    )
    store(session, scope=scope, kept=kept, batch_id=batch.id, now=now)
    session.add(batch)
    session.flush()
    return _render(batch)


def _render(batch: MeterBatch) -> BatchOut:
    return BatchOut(
        id=batch.id,
        live_mode=batch.live_mode,
        records_submitted=batch.records_submitted,
        records_accepted=batch.records_accepted,
        records_processed=batch.records_processed,
        failed_records=[FailedRecord.model_validate(f) for f in batch.failed_records],
        time_created=format_utc(batch.time_created),
        account_id=batch.account_id,
    )


def _read(item: Any) -> Read:
    """One register read; RecordFault with the field's code (`value_invalid`, ...)."""
    if not isinstance(item, dict):
        raise RecordFault("record_invalid")
    try:
        read = Read.model_validate(item)
    except ValidationError as error:
        raise RecordFault(from_validation_errors(error.errors()).code) from None
    if read.value < 0:
        raise RecordFault("value_invalid")
    return read


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _owned(
    session: Session,
    scope: Scope,
    model: type[Location] | type[Device],
    prefix: str,
    ids: Iterable[str],
) -> set[str]:
    """Which of `ids` name the caller's objects of `model` (one query per few hundred)."""
    wanted = sorted(i for i in ids if is_valid_id(i, prefix))
    found: set[str] = set()
    for first in range(0, len(wanted), _CHUNK):
        chunk = wanted[first : first + _CHUNK]
        query = scoped(select(model.id), model, scope).where(model.id.in_(chunk))
        found.update(session.scalars(query))
    return found
