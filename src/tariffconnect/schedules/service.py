"""Schedules: when to use (or export) energy, from a location's prices.

Each request prices its window once, with `prices.service.intervals` (the series /prices
answers, so a schedule's rates are /prices' rates), and hands the series to a pure solver
(duration.py, limit.py, amount.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import invalid, not_found
from tariffconnect.core.ids import is_valid_id, new_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.core.windows import check_window, wire_time
from tariffconnect.devices.models import Device
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.prices.engine import Interval
from tariffconnect.schedules import duration, limit
from tariffconnect.schedules.schemas import (
    AmountOut,
    AmountRequest,
    Cost,
    DeviceDemand,
    DevicePlan,
    DurationEcho,
    DurationOut,
    DurationRequest,
    Energy,
    LimitEcho,
    LimitOut,
    LimitRequest,
    Power,
    Rate,
    Run,
    Savings,
    ScheduleWindow,
    ShavingEcho,
    Unreachable,
    Window,
)
from tariffconnect.schedules.spans import Span

if TYPE_CHECKING:  # imported when first used: see by_amount
    from tariffconnect.schedules import amount

MAX_WINDOW = timedelta(days=3)
COST_DECIMALS = 5
ENERGY_DECIMALS = 3  # kWh to the watt-hour


class _Priced:
    """A schedule request's location, window and price series (UTC)."""

    def __init__(self, session: Session, *, scope: Scope, location_id: str, body: ScheduleWindow):
        self.now = utcnow()
        self.end = body.end_time
        self.offset = body.end_time.tzinfo or UTC
        self.start = body.start_time or self.now.astimezone(self.offset)
        check_window(self.start, self.end, longest=MAX_WINDOW)
        self.location = locations.get_or_raise(session, scope=scope, location_id=location_id)
        self.tariffs = prices.priced_tariffs(
            session, location=self.location, direction=body.tariff_direction
        )
        versions = prices.market_versions(session, self.tariffs)
        self.series = prices.intervals(
            session,
            self.location,
            self.tariffs,
            start=as_utc(self.start),
            end=as_utc(self.end),
            versions=versions,
        )
        self.next_update = format_utc(
            prices.next_update(session, self.tariffs, self.now, versions=versions)
        )

    def windows(self, spans: Sequence[Span]) -> list[Window]:
        return [
            Window(
                start_time=wire_time(span.start, self.offset),
                end_time=wire_time(span.end, self.offset),
                tariff=Rate(rate_avg=float(span.rate_avg), confidence=float(span.confidence)),
            )
            for span in spans
        ]


def by_duration(
    session: Session, *, scope: Scope, location_id: str, body: DurationRequest
) -> DurationOut:
    """The cheapest (LOW) or dearest (HIGH) `duration` minutes of the window."""
    wanted = timedelta(minutes=body.duration)
    # Before pricing: a request that cannot be right is 400, whatever the prices.
    start = body.start_time or utcnow()
    check_window(start, body.end_time, longest=MAX_WINDOW)
    if wanted > body.end_time - start:
        raise invalid("duration_too_long", "duration is longer than the window.")
    priced = _Priced(session, scope=scope, location_id=location_id, body=body)
    solve = duration.continuous if body.continuous else duration.split
    spans = solve(priced.series, duration=wanted, segment=body.segment)
    return DurationOut(
        id=new_id("std"),
        object="schedule_duration",
        live_mode=scope.live_mode,
        location_id=priced.location.id,
        location_timezone=priced.location.timezone,
        currency_code=priced.location.currency_code,
        tariff_direction=body.tariff_direction,
        next_update=priced.next_update,
        request=DurationEcho(
            tariff_direction=body.tariff_direction,
            segment=body.segment,
            duration=body.duration,
            continuous=body.continuous,
            start_time=wire_time(priced.start, priced.offset),
            end_time=wire_time(priced.end, priced.offset),
        ),
        data=priced.windows(spans),
        time_created=format_utc(priced.now),
        account_id=scope.account_id,
    )


def by_limit(session: Session, *, scope: Scope, location_id: str, body: LimitRequest) -> LimitOut:
    """The times priced within an absolute limit or a share of the window's price range."""
    if body.relative is None and body.absolute is None:
        raise invalid("relative_missing", "Give relative (0.01 to 1) or absolute (a price).")
    priced = _Priced(session, scope=scope, location_id=location_id, body=body)
    bound = limit.threshold(
        priced.series, segment=body.segment, relative=body.relative, absolute=body.absolute
    )
    spans = limit.within(priced.series, segment=body.segment, limit=bound)
    seconds = sum(span.length.total_seconds() for span in spans)
    minutes = seconds / 60
    return LimitOut(
        id=new_id("spl"),
        object="schedule_limit",
        live_mode=scope.live_mode,
        location_id=priced.location.id,
        location_timezone=priced.location.timezone,
        currency_code=priced.location.currency_code,
        tariff_direction=body.tariff_direction,
        next_update=priced.next_update,
        duration=int(minutes) if minutes.is_integer() else round(minutes, 2),
        request=LimitEcho(
            tariff_direction=body.tariff_direction,
            segment=body.segment,
            relative=None if body.relative is None else float(body.relative),
            absolute=None if body.absolute is None else float(body.absolute),
            start_time=wire_time(priced.start, priced.offset),
            end_time=wire_time(priced.end, priced.offset),
        ),
        data=priced.windows(spans),
        time_created=format_utc(priced.now),
        account_id=scope.account_id,
    )


def by_amount(
    session: Session, *, scope: Scope, location_id: str, body: AmountRequest
) -> AmountOut:
    """Each device's power over its window: the least total cost that gets every device its
    energy within its own and the site's power limit (schedules/amount.py)."""
    # The solver brings scipy and numpy, about 66 MiB of a process's memory: a process that
    # never schedules by amount (most API processes, every worker) never loads them.
    from tariffconnect.schedules import amount

    now = utcnow()
    offset = body.devices[0].end_time.tzinfo or UTC
    loads = []
    for device in body.devices:
        start = as_utc(device.start_time or now)
        end = as_utc(device.end_time)
        check_window(start, end, longest=MAX_WINDOW)
        loads.append(
            amount.Load(
                start=start,
                end=end,
                max_kw=device.max_power or body.max_power,
                energy_kwh=device.energy,
                export=device.tariff_direction == "EXPORT",
            )
        )
    first, last = min(load.start for load in loads), max(load.end for load in loads)
    check_window(first, last, longest=MAX_WINDOW)
    location = locations.get_or_raise(session, scope=scope, location_id=location_id)
    _check_devices(session, scope, [device.device_id for device in body.devices])
    series, next_update = _series(session, location, loads, first, last, now)
    shaving = body.shaving_threshold
    cap = None
    # Neither part given is the reference's default, relative 1: no price is ruled out.
    if shaving is not None and (shaving.relative, shaving.absolute) != (None, None):
        cap = amount.Shaving(shaving.relative, shaving.absolute)
    plans = amount.schedule(loads, site_kw=body.max_power, prices=series, shaving=cap)
    cost = sum(plan.cost for plan in plans)
    baseline = sum(plan.baseline for plan in plans)
    return AmountOut(
        id=new_id("sae"),
        live_mode=scope.live_mode,
        location_id=location.id,
        location_timezone=location.timezone,
        currency_code=location.currency_code,
        max_power=Power(value=body.max_power),
        shaving_threshold=None
        if shaving is None
        else ShavingEcho(
            relative=None if shaving.relative is None else float(shaving.relative),
            absolute=None if shaving.absolute is None else float(shaving.absolute),
        ),
        cost=Cost(
            value=round(cost, COST_DECIMALS),
            confidence=float(min(plan.confidence for plan in plans)),
        ),
        savings=_savings(baseline, cost),
        next_update=format_utc(next_update),
        data=[
            _device_plan(device, load, plan, offset)
            for device, load, plan in zip(body.devices, loads, plans, strict=True)
        ],
        time_created=format_utc(now),
        account_id=scope.account_id,
    )


def _check_devices(session: Session, scope: Scope, device_ids: Sequence[str]) -> None:
    """404 `device_not_found` for the first id that is not one of the caller's devices in this
    mode; one query for them all (a schedule may name dozens)."""
    wanted = [i for i in dict.fromkeys(device_ids) if is_valid_id(i, "dev")]
    query = scoped(select(Device.id), Device, scope).where(Device.id.in_(wanted))
    found = set(session.scalars(query)) if wanted else set()
    for device_id in device_ids:
        if device_id not in found:
            raise not_found("device_not_found", f"No device {device_id}.")


def _series(
    session: Session,
    location: Location,
    loads: Sequence[amount.Load],
    first: datetime,
    last: datetime,
    now: datetime,
) -> tuple[dict[bool, list[Interval]], datetime]:
    """The prices of each direction some device uses, over the whole window; when to ask again."""
    series: dict[bool, list[Interval]] = {}
    updates = []
    for export in sorted({load.export for load in loads}):
        tariffs = prices.priced_tariffs(
            session, location=location, direction="EXPORT" if export else "IMPORT"
        )
        versions = prices.market_versions(session, tariffs)
        series[export] = prices.intervals(
            session, location, tariffs, start=first, end=last, versions=versions
        )
        updates.append(prices.next_update(session, tariffs, now, versions=versions))
    return series, min(updates)


def _savings(baseline: float, cost: float) -> Savings:
    saved = baseline - cost
    share = saved / abs(baseline) * 100 if baseline else 0.0
    return Savings(value=round(saved, COST_DECIMALS), percentage=round(share, 2))


def _device_plan(
    device: DeviceDemand, load: amount.Load, plan: amount.Plan, offset: tzinfo
) -> DevicePlan:
    error = None
    if not plan.reachable:
        reachable = round(plan.energy_kwh, ENERGY_DECIMALS)
        error = Unreachable(
            message=(
                f"{load.energy_kwh:g} kWh do not fit in the window within the power limits; "
                f"{reachable:g} kWh do, and are scheduled."
            ),
            energy_reachable=Energy(value=reachable),
        )
    return DevicePlan(
        device_id=device.device_id,
        tariff_direction=device.tariff_direction,
        start_time=wire_time(load.start, offset),
        end_time=wire_time(load.end, offset),
        max_power=Power(value=load.max_kw),
        energy=Energy(value=load.energy_kwh),
        cost=Cost(value=round(plan.cost, COST_DECIMALS), confidence=float(plan.confidence)),
        savings=_savings(plan.baseline, plan.cost),
        schedule=[
            Run(
                start_time=wire_time(run.start, offset),
                end_time=wire_time(run.end, offset),
                power=Power(value=run.kw),
            )
            for run in plan.runs
        ],
        error=error,
    )
