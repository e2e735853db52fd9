"""Costs: stored meter records (or one given record) priced at the tariffs in force then.

Every cost is worked out per location: the location's records of the tariff direction are
read from the start of the earliest tier period that holds the window's start (tiers count
the energy already used in their period) to the window's end, priced (costs/pricing.py), and
the records asked about (a location's, a device's, a session's, or the one given) summed per
period. Money is rounded once, at the end, to 5 decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, String, cast, func, select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, invalid, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.core.windows import check_window, wire_time
from tariffconnect.costs import history, pricing, tiers
from tariffconnect.costs.pricing import MONTH, Row, Total
from tariffconnect.costs.schemas import (
    Cost,
    CostEcho,
    CostWindow,
    Energy,
    EnergyCostOut,
    InstantEcho,
    MeterRecordOut,
    PeriodCost,
    RecordCost,
)
from tariffconnect.devices import service as devices
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.meters import records
from tariffconnect.meters import service as meters
from tariffconnect.meters.models import MeterRecord
from tariffconnect.meters.records import Checked, RecordFault
from tariffconnect.meters.schemas import RecordIn
from tariffconnect.tariffs.models import Tariff

LONGEST = timedelta(days=366)
_MONEY = Decimal("0.00001")
_MILLI_WH = Decimal("0.001")
# Records last at most 31 days: one starting earlier cannot reach into the window.
_REACH = records.LONGEST
# (id, device_id, session_reference_id) of a stored record -> is its cost wanted?
Wanted = Callable[[str, str | None, str | None], bool]


def _money(value: Decimal) -> float:
    return float(value.quantize(_MONEY, ROUND_HALF_UP))


def _wh(value: Decimal) -> float:
    return float(value.quantize(_MILLI_WH, ROUND_HALF_UP))


def instant(
    session: Session, *, scope: Scope, record: RecordIn, non_persistent: bool
) -> MeterRecordOut:
    """One record priced; stored too (replacing one with its record_reference_id) unless
    `non_persistent`."""
    try:
        checked = records.checked(record)
    except RecordFault as fault:
        raise invalid(fault.code, f"The record is refused: {fault.code}.") from None
    location = locations.get_or_raise(session, scope=scope, location_id=checked.location_id)
    if checked.device_id is not None:
        devices.get_or_raise(session, scope=scope, device_id=checked.device_id)
    now = utcnow()
    extra: list[Row] = []
    if non_persistent:
        record_id = new_id("mre")
        extra.append(_row(checked))
    else:
        (record_id,) = meters.store(session, scope=scope, kept=[checked], batch_id=None, now=now)
    (total,) = _totals(
        session,
        scope,
        location,
        checked.tariff_direction,
        start=checked.start_time,
        end=checked.end_time,
        cuts=[checked.start_time],
        wanted=lambda stored_id, _device, _session: stored_id == record_id,
        extra=extra,
    )
    offset = record.end_time.tzinfo or UTC
    return MeterRecordOut(
        id=record_id,
        live_mode=scope.live_mode,
        location_id=location.id,
        device_id=checked.device_id,
        energy_flow_direction=checked.energy_flow_direction,
        tariff_direction=checked.tariff_direction,
        currency_code=location.currency_code,
        request=InstantEcho(
            non_persistent=non_persistent,
            location_id=record.location_id,
            device_id=record.device_id,
            session_reference_id=record.session_reference_id,
            record_reference_id=record.record_reference_id,
            units=record.units,
            value=float(record.value),
            start_time=wire_time(record.start_time, offset),
            end_time=wire_time(record.end_time, offset),
        ),
        data=RecordCost(
            start_time=wire_time(checked.start_time, offset),
            end_time=wire_time(checked.end_time, offset),
            session_reference_id=checked.session_reference_id,
            record_reference_id=checked.record_reference_id,
            energy=Energy(value=_wh(total.energy_wh)),
            cost=Cost(value=_money(total.cost), confidence=float(total.confidence)),
        ),
        time_created=format_utc(now),
        account_id=scope.account_id,
    )


def interval(
    session: Session,
    *,
    scope: Scope,
    object_id: str,
    body: CostWindow,
    aggregation: str | None,
    direction: str,
) -> EnergyCostOut:
    """A location's or a device's records over a window, per local day or month (or as one
    total without `aggregation`)."""
    check_window(body.start_time, body.end_time, longest=LONGEST)
    start, end = as_utc(body.start_time), as_utc(body.end_time)
    if is_valid_id(object_id, "dev"):
        device = devices.get_or_raise(session, scope=scope, device_id=object_id)
        places = _device_locations(session, scope, device.id, start, end)
        wanted: Wanted = _of_device(device.id)
    else:
        places = [locations.get_or_raise(session, scope=scope, location_id=object_id)]
        wanted = _every
    if not places:
        raise ApiError(
            422, "no_meter_records", f"Device {object_id} has no records and no location."
        )
    zone = ZoneInfo(places[0].timezone)
    cuts = [start]
    if aggregation is not None:
        cuts += pricing.local_starts(zone, start, end, aggregation)
    summed = _summed(session, scope, places, direction, start, end, cuts, wanted)
    offset = body.end_time.tzinfo or UTC
    echo = CostEcho(
        start_time=wire_time(body.start_time, offset),
        end_time=wire_time(body.end_time, offset),
        aggregation=aggregation,
        tariff_direction=direction,
    )
    return _energy_cost(scope, object_id, places[0], direction, echo, cuts, end, summed, offset)


def by_session(
    session: Session, *, scope: Scope, session_reference_id: str, direction: str
) -> EnergyCostOut:
    """The records of one session (say, a charge) as one total."""
    query = select(
        MeterRecord.location_id,
        func.min(MeterRecord.start_time),
        func.max(MeterRecord.end_time),
    ).where(
        *_scope(scope),
        MeterRecord.session_reference_id == session_reference_id,
        MeterRecord.tariff_direction == direction,
    )
    found = session.execute(query.group_by(MeterRecord.location_id)).all()
    if not found:
        raise not_found(
            "session_not_found", f"No {direction} records of session {session_reference_id}."
        )
    start = min(as_utc(row[1]) for row in found)
    end = max(as_utc(row[2]) for row in found)
    places = [locations.get_or_raise(session, scope=scope, location_id=row[0]) for row in found]
    wanted = _of_session(session_reference_id)
    summed = _summed(session, scope, places, direction, start, end, [start], wanted)
    echo = CostEcho(
        start_time=wire_time(start, UTC),
        end_time=wire_time(end, UTC),
        tariff_direction=direction,
        session_reference_id=session_reference_id,
    )
    return _energy_cost(
        scope, session_reference_id, places[0], direction, echo, [start], end, summed, UTC
    )


def _energy_cost(
    scope: Scope,
    object_id: str,
    location: Location,
    direction: str,
    echo: CostEcho,
    cuts: Sequence[datetime],
    end: datetime,
    summed: Sequence[Total],
    offset: tzinfo,
) -> EnergyCostOut:
    bounds = [*cuts, end]
    return EnergyCostOut(
        id=new_id("ecs"),
        object_id=object_id,
        live_mode=scope.live_mode,
        location_id=location.id,
        tariff_direction=direction,
        location_timezone=location.timezone,
        currency_code=location.currency_code,
        request=echo,
        data=[
            PeriodCost(
                start_time=wire_time(bounds[k], offset),
                end_time=wire_time(bounds[k + 1], offset),
                energy=Energy(value=_wh(total.energy_wh)),
                cost=Cost(value=_money(total.cost), confidence=float(total.confidence)),
            )
            for k, total in enumerate(summed)
        ],
        time_created=format_utc(utcnow()),
        account_id=scope.account_id,
    )


def _summed(
    session: Session,
    scope: Scope,
    places: Sequence[Location],
    direction: str,
    start: datetime,
    end: datetime,
    cuts: list[datetime],
    wanted: Wanted,
) -> list[Total]:
    """The wanted records' totals per period, over every location they were metered at."""
    summed = [Total() for _ in cuts]
    for location in places:
        found = _totals(
            session, scope, location, direction, start=start, end=end, cuts=cuts, wanted=wanted
        )
        for total, more in zip(summed, found, strict=True):
            total.energy_wh += more.energy_wh
            total.cost += more.cost
            total.confidence = min(total.confidence, more.confidence)
    return summed


def _totals(
    session: Session,
    scope: Scope,
    location: Location,
    direction: str,
    *,
    start: datetime,
    end: datetime,
    cuts: list[datetime],
    wanted: Wanted,
    extra: Sequence[Row] = (),
) -> list[Total]:
    """One location's wanted records (and `extra`) priced, a Total per period of `cuts`."""
    tariffs = history.tariffs_of(session, location_id=location.id, direction=direction)
    if not tariffs:
        raise ApiError(
            422, "no_tariff_connected", f"Location {location.id} has no {direction} tariff."
        )
    span = _tier_span(location, tariffs, start)
    eras = history.eras(tariffs, start=span, end=end)
    for low, _high, priced in eras:
        if not priced:
            raise ApiError(
                422,
                "no_tariff_connected",
                f"Location {location.id} had no {direction} tariff at {format_utc(low)}.",
            )
    segments = pricing.timeline(session, location, eras, cuts=cuts)
    rows = _rows(session, scope, location.id, direction, span, end, wanted)
    if extra:
        rows = sorted([*rows, *extra], key=lambda row: row[0])
    return pricing.totals(segments, rows, len(cuts))


def _tier_span(location: Location, tariffs: Sequence[Tariff], start: datetime) -> datetime:
    """Where counting energy must begin: the start of the local month (or day, if every
    tiered tariff counts by day) holding `start`; just `start` when no tariff has tiers."""
    periods = {t.tier_period for t in tariffs if tiers.depth(t) > 1}
    if not periods:
        return start
    zone = ZoneInfo(location.timezone)
    local = start.astimezone(zone).date()
    first = local.replace(day=1) if MONTH in periods else local
    return datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)


def _rows(
    session: Session,
    scope: Scope,
    location_id: str,
    direction: str,
    start: datetime,
    end: datetime,
    wanted: Wanted,
) -> list[Row]:
    """The location's records of the direction that reach into [start, end), oldest first,
    their times as µs since the epoch (worked out by the database: a year of half hours is
    35,040 datetimes, which cost more to build in Python than everything else)."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    query = (
        select(
            MeterRecord.id,
            _epoch_us(MeterRecord.start_time, sqlite=sqlite),
            _epoch_us(MeterRecord.end_time, sqlite=sqlite),
            cast(MeterRecord.energy_wh, String) if sqlite else MeterRecord.energy_wh,
            MeterRecord.device_id,
            MeterRecord.session_reference_id,
        )
        .where(
            *_scope(scope),
            MeterRecord.location_id == location_id,
            MeterRecord.start_time > start - _REACH,
            MeterRecord.start_time < end,
            MeterRecord.end_time > start,
            MeterRecord.tariff_direction == direction,
        )
        .order_by(MeterRecord.start_time, MeterRecord.id)
    )
    found = connection.execute(query).all()
    if sqlite:  # the energy as text, exactly as stored
        return [
            (a, b, Decimal(wh), wanted(record_id, device_id, reference))
            for record_id, a, b, wh, device_id, reference in found
        ]
    return [
        (a, b, wh, wanted(record_id, device_id, reference))
        for record_id, a, b, wh, device_id, reference in found
    ]


def _epoch_us(column: Any, *, sqlite: bool) -> Any:
    """Microseconds since the epoch of a stored UTC time, as an integer from the database.

    SQLite stores `YYYY-MM-DD HH:MM:SS.ffffff` (SQLAlchemy's format): whole seconds from
    strftime, the microseconds from the text."""
    if sqlite:
        seconds = cast(func.strftime("%s", column), BigInteger)
        return seconds * 1_000_000 + cast(func.substr(column, 21, 6), BigInteger)
    return cast(func.extract("epoch", column) * 1_000_000, BigInteger)


def _scope(scope: Scope) -> tuple[Any, Any]:
    """The caller's account and mode, for queries of several columns."""
    return MeterRecord.account_id == scope.account_id, MeterRecord.live_mode == scope.live_mode


def _every(_id: str, _device: str | None, _session: str | None) -> bool:
    return True


def _of_device(device_id: str) -> Wanted:
    return lambda _id, device, _session: device == device_id


def _of_session(reference: str) -> Wanted:
    return lambda _id, _device, session: session == reference


def _row(checked: Checked) -> Row:
    start, end = pricing.micros(checked.start_time), pricing.micros(checked.end_time)
    return (start, end, checked.energy_wh, True)


def _device_locations(
    session: Session, scope: Scope, device_id: str, start: datetime, end: datetime
) -> list[Location]:
    """The locations a device's records in the window were metered at."""
    query = (
        scoped(select(MeterRecord.location_id), MeterRecord, scope)
        .where(
            MeterRecord.device_id == device_id,
            MeterRecord.start_time > start - _REACH,
            MeterRecord.start_time < end,
            MeterRecord.end_time > start,
        )
        .distinct()
    )
    ids = sorted(session.scalars(query))
    return [locations.get_or_raise(session, scope=scope, location_id=i) for i in ids]
