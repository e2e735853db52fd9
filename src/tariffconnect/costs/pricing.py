"""The cost of meter records: each split where its price changes, in proportion to time.

A *timeline* covers a window with segments of constant pricing: the summed rate of the
untiered tariffs in force, and for each tiered tariff its tier rates, the kWh each tier ends
at and the local period (day or month) whose energy the tiers count. Segments are also cut
wherever the caller wants totals (aggregation periods, the window's start). Records are then
walked oldest first: each one's energy is spread evenly over its time, every part priced by
its segment, the tiered tariffs' period counters going up as it goes (records before the
window's start only count towards the tiers). Everything is Decimal; nothing is rounded here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.costs import tiers
from tariffconnect.locations.models import Location
from tariffconnect.prices import service as prices
from tariffconnect.prices.engine import Interval
from tariffconnect.tariffs.models import Tariff

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO, _ONE = Decimal(0), Decimal(1)
_KWH = Decimal(1000)
DAY, MONTH = "DAY", "MONTH"


def micros(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)


def moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class TierPoint:
    """A tiered tariff within a segment: its rates by tier and where each tier but the last
    ends (kWh counted over `period`)."""

    tariff_id: str
    period: int
    limits: tuple[Decimal, ...]
    rates: tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    flat: Decimal  # per kWh, summed over the untiered tariffs
    confidence: Decimal
    tiered: tuple[TierPoint, ...]
    bucket: int  # which total it adds to; -1: none (it only counts towards the tiers)


@dataclass(slots=True)
class Total:
    energy_wh: Decimal = _ZERO
    cost: Decimal = _ZERO
    confidence: Decimal = _ONE


# A record to price: its UTC span (µs since the epoch), its Wh and whether its cost is wanted.
# A plain tuple: a year of half hours makes 17,520 of them per request.
Row: TypeAlias = tuple[int, int, Decimal, bool]


def local_starts(zone: ZoneInfo, start: datetime, end: datetime, period: str) -> list[datetime]:
    """The instants strictly inside (start, end) at which a local day (or month) begins."""
    day = start.astimezone(zone).date()
    found: list[datetime] = []
    while True:
        day = _next_start(day, period)
        instant = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        if instant >= end:
            return found
        if instant > start:
            found.append(instant)


def _next_start(day: date, period: str) -> date:
    if period == DAY:
        return day + timedelta(days=1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _period_key(zone: ZoneInfo, us: int, period: str) -> int:
    local = moment(us).astimezone(zone)
    return local.toordinal() if period == DAY else local.year * 12 + local.month


def timeline(
    session: Session,
    location: Location,
    eras: Sequence[tuple[datetime, datetime, tuple[Tariff, ...]]],
    *,
    cuts: Sequence[datetime],
) -> list[Segment]:
    """The segments over the eras (which tile a window), cut at `cuts` too; segment k of the
    result adds to total `bisect_right(cuts, start) - 1` (-1 before the first cut)."""
    zone = ZoneInfo(location.timezone)
    cut_us = [micros(c) for c in cuts]
    segments: list[Segment] = []
    for low, high, tariffs in eras:
        segments += _era(session, location, zone, low, high, tariffs, cut_us)
    return segments


def _era(
    session: Session,
    location: Location,
    zone: ZoneInfo,
    low: datetime,
    high: datetime,
    tariffs: tuple[Tariff, ...],
    cut_us: list[int],
) -> list[Segment]:
    flat_tariffs = [t for t in tariffs if tiers.depth(t) == 1]
    tiered = [t for t in tariffs if tiers.depth(t) > 1]
    lo, hi = micros(low), micros(high)
    if flat_tariffs:
        inputs = prices.tariff_inputs(session, flat_tariffs, start=low, end=high)
        flat = prices.exact_intervals(location, inputs, start=low, end=high)
    else:
        flat = [Interval(low, high, _ZERO, _ONE)]
    points = {lo, *(micros(i.start) for i in flat)}
    points.update(c for c in cut_us if lo < c < hi)
    tier_series = []
    for tariff in tiered:
        rate_schedules, limit_schedules = tiers.variants(tariff)
        market = prices.tariff_inputs(session, [tariff], start=low, end=high)[0][1]
        rates = [
            prices.exact_intervals(location, [(s, market)], start=low, end=high)
            for s in rate_schedules
        ]
        limits = [
            prices.exact_intervals(location, [(s, None)], start=low, end=high)
            for s in limit_schedules
        ]
        for series in (*rates, *limits):
            points.update(micros(i.start) for i in series)
        points.update(micros(m) for m in local_starts(zone, low, high, tariff.tier_period))
        tier_series.append((tariff, rates, limits))
    starts = sorted(points)
    ends = [*starts[1:], hi]
    flat_at = _sample(flat, starts)
    sampled = [
        (
            tariff,
            [_sample(series, starts) for series in rates],
            [_sample(series, starts) for series in limits],
        )
        for tariff, rates, limits in tier_series
    ]
    segments = []
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        confidence = flat_at[k].confidence
        points_k = []
        for tariff, rates_at, limits_at in sampled:
            tier_rates = tuple(r[k].value for r in rates_at)
            confidence = min([confidence, *(r[k].confidence for r in rates_at)])
            points_k.append(
                TierPoint(
                    tariff_id=tariff.id,
                    period=_period_key(zone, a, tariff.tier_period),
                    limits=tuple(limit[k].value for limit in limits_at),
                    rates=tier_rates,
                )
            )
        segments.append(
            Segment(
                start=a,
                end=b,
                flat=flat_at[k].value,
                confidence=confidence,
                tiered=tuple(points_k),
                bucket=bisect_right(cut_us, a) - 1,
            )
        )
    return segments


def _sample(series: Sequence[Interval], points: Iterable[int]) -> list[Interval]:
    """The interval of `series` (sorted, tiling) holding each of the sorted `points`."""
    found = []
    at = 0
    ends = [micros(i.end) for i in series]
    for point in points:
        while ends[at] <= point:
            at += 1
        found.append(series[at])
    return found


def totals(segments: Sequence[Segment], rows: Iterable[Row], count: int) -> list[Total]:
    """The wanted rows' energy, cost and confidence per total (`count` of them).

    Most records lie inside one segment with no tiers: their energy is summed per segment and
    priced once per segment at the end (a year of half hours is 17,520 records but about a
    thousand segments); parts of records in tiered segments are priced as they come, in order.
    """
    starts = [s.start for s in segments]
    ends = [s.end for s in segments]
    energy = [_ZERO] * len(segments)  # wanted Wh per segment
    cost = [_ZERO] * len(segments)  # cost of the wanted tiered parts per segment, per 1000
    used = [False] * len(segments)
    usage: dict[tuple[str, int], Decimal] = {}
    last = len(segments)
    for start, end, wh, wanted in rows:
        k = bisect_right(starts, start) - 1
        if k < 0:
            k = 0
        if start >= starts[k] and end <= ends[k] and not segments[k].tiered:
            if wanted:  # the common case: inside one untiered segment
                energy[k] += wh
                used[k] = True
            continue
        duration = end - start
        while k < last and starts[k] < end:
            segment = segments[k]
            a = start if start > segment.start else segment.start
            b = end if end < segment.end else segment.end
            if b > a:
                part = wh if b - a == duration else wh * (b - a) / duration
                tiered = _ZERO
                for point in segment.tiered:
                    tiered += _tiered(point, usage, part / _KWH)
                if wanted:
                    energy[k] += part
                    cost[k] += tiered
                    used[k] = True
            k += 1
    out = [Total() for _ in range(count)]
    for k, segment in enumerate(segments):
        if not used[k] or segment.bucket < 0:
            continue
        total = out[segment.bucket]
        total.energy_wh += energy[k]
        total.cost += energy[k] * segment.flat / _KWH + cost[k]
        total.confidence = min(total.confidence, segment.confidence)
    return out


def _tiered(point: TierPoint, usage: dict[tuple[str, int], Decimal], kwh: Decimal) -> Decimal:
    """What `kwh` more costs at a tiered tariff, the period's energy so far counted first."""
    key = (point.tariff_id, point.period)
    used = usage.get(key, _ZERO)
    left, cost = kwh, _ZERO
    for j, rate in enumerate(point.rates):
        if left <= 0:
            break
        take = left
        if j < len(point.limits) and point.limits[j] < tiers.NO_LIMIT:
            take = min(left, max(point.limits[j] - used, _ZERO))
        cost += take * rate
        used += take
        left -= take
    usage[key] = used
    return cost
