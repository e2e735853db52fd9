"""The price engine: compiled tariff schedules (and market prices) to price intervals in UTC.

The price of one tariff at an instant t is its schedule's rule for the local date of t (in the
location's zone; public holidays pick `Holidays` rules) at the local wall-clock time of t. So
windows keep their wall-clock meaning across DST: on a fall-back night the repeated hour is
priced by the wall clock both times, on a spring-forward night the skipped hour does not exist
(a window inside it prices nothing that day), and a local day lasts 23 or 25 hours. Market
tariffs add `(market price + surcharge_fixed) * surcharge_factor` of the market interval
holding t. The tariffs given are summed (a direction's COMMODITY and NON_COMMODITY ones).
Confidence is 1 for schedules and published market prices; a market interval may carry less (a
forecast), and a priced interval's confidence is the lowest of the market intervals it covers.

How it is fast: every tariff is read in the same zone, so their sum is itself a function of the
local (date, wall time). Each local day is priced by a *plan*, built once per combination of
rules: the union of the rules' boundaries (as wall-clock offsets) with the summed state after
each. The engine walks the window in pieces of constant UTC offset (cut at the zone's offset
changes) and, inside a piece, day by day: a boundary's UTC instant is the wall midnight's
instant plus the plan's offset. Equal neighbours are merged as they are found; market prices
are then spliced in by slicing the market series, which is prepared once (`MarketPrices`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import compress, repeat
from operator import eq, ne
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from tariffconnect.tariffs.schedule import DayRule, Schedule, Segment, day_index

_US = 1_000_000  # times are integer microseconds since the epoch, UTC: exact and fast
_DAY_US = 86_400 * _US
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ZERO, _ONE = Decimal(0), Decimal(1)
# Local dates must stay inside datetime's years 1-9999 whatever the zone's offset.
_FIRST = (datetime(2, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_LAST = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)

# A market interval as given: (start, end, price) or (start, end, price, confidence).
MarketInterval: TypeAlias = (
    tuple[datetime, datetime, Decimal] | tuple[datetime, datetime, Decimal, Decimal]
)

# The summed price state of a stretch of wall-clock time: the fixed part (the fixed tariffs'
# prices) and, per market tariff, its (surcharge_fixed, surcharge_factor).
State: TypeAlias = tuple[Decimal, tuple[tuple[Decimal, Decimal], ...]]
_Changes: TypeAlias = tuple[tuple[timedelta, ...], tuple[State, ...]]


@dataclass(frozen=True, slots=True)
class Interval:
    """A price from `start` to `end` (UTC, half-open)."""

    start: datetime
    end: datetime
    value: Decimal
    confidence: Decimal


class NoPriceData(Exception):
    """A market tariff needs a market price for an instant the market data does not cover."""

    def __init__(self, moment: datetime) -> None:
        super().__init__(f"no market price for {moment.isoformat()}")
        self.moment = moment


def _confidence(value: Decimal, start: datetime) -> Decimal:
    """`value` checked to be a Decimal in [0, 1]."""
    if not isinstance(value, Decimal) or not value.is_finite() or not _ZERO <= value <= _ONE:
        raise ValueError(f"market confidence {value!r} at {start} is not a Decimal in [0, 1]")
    return value


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


class MarketPrices:
    """Sorted, non-overlapping UTC intervals with a price each (e.g. day-ahead, 15 min or 1 h).

    Gaps are allowed; pricing an instant in a gap raises `NoPriceData`. An interval may carry a
    confidence in [0, 1] as a fourth element (a forecast); without one it is 1. Prepared once,
    so that the engine can slice it: microsecond times, UTC datetimes, and a run number per
    interval (intervals of one run follow each other without a gap). `_confidences` is None
    when every confidence is 1, so that published prices cost the engine nothing extra.
    """

    __slots__ = (
        "_confidences",
        "_end_times",
        "_ends",
        "_prices",
        "_runs",
        "_start_times",
        "_starts",
    )

    def __init__(self, intervals: Iterable[MarketInterval]) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._start_times: list[datetime] = []
        self._end_times: list[datetime] = []
        self._prices: list[Decimal] = []
        self._runs: list[int] = []
        confidences: list[Decimal] = []
        for start, end, price, *rest in intervals:
            begin, finish = _micros(start), _micros(end)
            if finish <= begin or (self._ends and begin < self._ends[-1]):
                raise ValueError(f"market interval {start}-{end} is empty, unsorted or overlaps")
            if not isinstance(price, Decimal) or not price.is_finite():
                raise ValueError(f"market price {price!r} at {start} is not a finite Decimal")
            confidences.append(_confidence(rest[0] if rest else _ONE, start))
            run = self._runs[-1] if self._runs else 0
            self._runs.append(run if self._ends and begin == self._ends[-1] else run + 1)
            self._starts.append(begin)
            self._ends.append(finish)
            self._start_times.append(start.astimezone(UTC))
            self._end_times.append(end.astimezone(UTC))
            self._prices.append(price)
        self._confidences = None if all(c == _ONE for c in confidences) else confidences

    @classmethod
    def from_series(
        cls, start: datetime, step: timedelta, prices: Iterable[Decimal]
    ) -> MarketPrices:
        """Back-to-back intervals of length `step` from `start`."""
        return cls((start + i * step, start + (i + 1) * step, p) for i, p in enumerate(prices))

    @classmethod
    def joined(cls, parts: Sequence[MarketPrices]) -> MarketPrices:
        """`parts`, each prepared already, one after another as one: how cached days reach
        the engine without every interval being checked again (only the joins are)."""
        joined = cls(())
        follow = any(part._confidences is not None for part in parts)
        confidences: list[Decimal] = []
        for part in parts:
            if not part._prices:
                continue
            run = joined._runs[-1] if joined._runs else 0
            if joined._ends:
                if part._starts[0] < joined._ends[-1]:
                    raise ValueError(f"market parts overlap at {part._start_times[0]}")
                if part._starts[0] == joined._ends[-1]:
                    run -= 1  # the part's first run goes on from the last one
            joined._runs.extend([r + run for r in part._runs])
            joined._starts.extend(part._starts)
            joined._ends.extend(part._ends)
            joined._start_times.extend(part._start_times)
            joined._end_times.extend(part._end_times)
            joined._prices.extend(part._prices)
            if follow:
                confidences.extend(part._confidences or repeat(_ONE, len(part._prices)))
        joined._confidences = confidences if follow else None
        return joined

    def until(self, moment: datetime) -> MarketPrices:
        """The intervals that start before `moment`."""
        stop = bisect_left(self._starts, _micros(moment))
        head = MarketPrices(())
        head._starts, head._ends = self._starts[:stop], self._ends[:stop]
        head._start_times, head._end_times = self._start_times[:stop], self._end_times[:stop]
        head._prices, head._runs = self._prices[:stop], self._runs[:stop]
        head._confidences = None if self._confidences is None else self._confidences[:stop]
        return head

    def last_end_within(self, start: datetime, end: datetime) -> datetime | None:
        """The end of the last interval that overlaps [start, end), or None if none does."""
        last = bisect_left(self._starts, _micros(end)) - 1
        if last < 0 or self._ends[last] <= _micros(start):
            return None
        return self._end_times[last]

    def __len__(self) -> int:
        return len(self._prices)

    def __iter__(self) -> Iterator[tuple[datetime, datetime, Decimal]]:
        return zip(self._start_times, self._end_times, self._prices, strict=True)

    def _check_covers(self, start: int, end: int) -> None:
        """Raise `NoPriceData` naming the first instant of [start, end) (µs) without a price."""
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, end - 1) - 1
        if first < 0 or self._ends[first] <= start:
            raise NoPriceData(_EPOCH + timedelta(microseconds=start))
        if self._ends[last] < end or self._runs[last] != self._runs[first]:
            run_end = bisect_right(self._runs, self._runs[first]) - 1
            raise NoPriceData(self._end_times[run_end])


@dataclass(frozen=True, slots=True)
class _Plan:
    """One local day of the summed tariffs.

    `offsets` (µs after wall midnight, the first 0) are where the state changes and `states`
    the state from each on; `whole` is (the offsets as timedeltas, states) and `rest` the same
    without the first change.
    """

    offsets: tuple[int, ...]
    states: tuple[State, ...]
    whole: _Changes = field(repr=False)
    rest: _Changes = field(repr=False)


@dataclass(slots=True)
class _Series:
    """A piecewise-constant function up to some end: the instants where it changes (datetimes;
    their µs `times` once market prices were spliced in), the state from each on and, once
    computed, the value and confidence (`confidences` stays empty while every one is 1)."""

    moments: list[datetime] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    values: list[Decimal] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    confidences: list[Decimal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Columns:
    """`price_intervals`' answer as columns, before any Interval is made (what /prices writes
    as JSON): interval i runs from `boundaries[i]` to `boundaries[i + 1]` (UTC) at `values[i]`
    with confidence `confidences[i]`, or 1 for every interval when `confidences` is None."""

    boundaries: list[datetime]
    values: list[Decimal]
    confidences: list[Decimal] | None


def price_intervals(
    tariffs: Sequence[tuple[Schedule, MarketPrices | None]],
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    holidays: Container[date],
    decimals: int | None = None,
) -> list[Interval]:
    """`price_columns` as Intervals."""
    columns = price_columns(
        tariffs, start=start, end=end, zone=zone, holidays=holidays, decimals=decimals
    )
    return as_intervals(columns)


def price_columns(
    tariffs: Sequence[tuple[Schedule, MarketPrices | None]],
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    holidays: Container[date],
    decimals: int | None = None,
) -> Columns:
    """The summed price of `tariffs` over [start, end) as contiguous, half-open UTC intervals.

    Intervals tile exactly [start, end) and are split only where the summed value or the
    confidence changes.
    Values are exact unless `decimals` is given: then each is rounded half up to that many
    places before equal neighbours are merged (market surcharges make longer decimals, and two
    values equal once rounded must not show as two intervals).
    Confidence is the lowest of the market intervals' confidences an interval covers, else 1.
    A market tariff's `MarketPrices` must cover the whole window, else `NoPriceData`.
    `start` and `end` must be aware; an empty window gives no intervals.
    """
    lo, hi = _micros(start), _micros(end)
    if hi < lo:
        raise ValueError("end is before start")
    if lo < _FIRST or hi > _LAST:
        raise ValueError("the window must lie within the years 2 to 9998")
    if not tariffs:
        raise ValueError("no tariffs to price")
    if hi == lo:
        return Columns([], [], None)
    markets = _markets(tariffs, lo, hi)
    series = _walk(tariffs, zone, holidays, lo, hi, start.astimezone(UTC))
    series.values = [state[0] for state in series.states]
    for which, market in enumerate(markets):
        series = _splice(series, market, which, hi)
    if decimals is not None:
        quantum = _ONE.scaleb(-decimals)
        series.values = [value.quantize(quantum, ROUND_HALF_UP) for value in series.values]
    return _columns(series, end.astimezone(UTC), merge=bool(markets) or decimals is not None)


def _markets(
    tariffs: Sequence[tuple[Schedule, MarketPrices | None]], lo: int, hi: int
) -> list[MarketPrices]:
    markets = []
    for schedule, market in tariffs:
        if not schedule.market_rates:
            if market is not None:
                raise ValueError("market prices given for a fixed-rate schedule")
            continue
        if market is None:
            raise NoPriceData(_EPOCH + timedelta(microseconds=lo))
        market._check_covers(lo, hi)
        markets.append(market)
    return markets


def _walk(
    tariffs: Sequence[tuple[Schedule, MarketPrices | None]],
    zone: tzinfo,
    holidays: Container[date],
    lo: int,
    hi: int,
    first: datetime,
) -> _Series:
    """The summed states over [lo, hi), merged, from the local days' plans."""
    tables = [schedule.day_table for schedule, _ in tariffs]
    plans: dict[Any, _Plan] = {}
    interned: dict[State, State] = {}

    def plan_for(day: int) -> _Plan:  # day: days since 1970-01-01, local
        local, index = _local_day(day)
        index += local in holidays
        key = tables[0][index] if len(tables) == 1 else tuple([t[index] for t in tables])
        plan = plans.get(key)
        if plan is None:
            rules = [
                schedule.rules[t[index]] for (schedule, _), t in zip(tariffs, tables, strict=True)
            ]
            market = [schedule.market_rates for schedule, _ in tariffs]
            plan = plans[key] = _build_plan(rules, market, interned)
        return plan

    series = _Series()
    last: State | None = None
    for a, b, offset in _offset_pieces(zone, lo, hi):
        moment = first if a == lo else _EPOCH + timedelta(microseconds=a)
        last = _walk_piece(series, plan_for, a, b, offset, moment, last)
    return series


def _walk_piece(
    series: _Series,
    plan_for: Callable[[int], _Plan],
    a: int,
    b: int,
    offset: int,
    moment: datetime,
    last: State | None,
) -> State | None:
    """Append the changes in [a, b), a stretch of constant UTC offset; return the last state.

    States are interned, so `is` tells equal neighbours apart (cheaper than ==).
    """
    day, into = divmod(a + offset, _DAY_US)
    base = a - into  # the UTC instant at which this local day's wall clock read 00:00
    base_moment = moment - timedelta(microseconds=into)
    plan = plan_for(day)
    k = bisect_right(plan.offsets, into) - 1
    if plan.states[k] is not last:
        last = plan.states[k]
        series.moments.append(moment)
        series.states.append(last)
    last = _emit(series, plan, k + 1, base, base_moment, b, last)
    while True:
        base += _DAY_US
        if base >= b:
            return last
        day += 1
        base_moment += _ONE_DAY
        plan = plan_for(day)
        if base + plan.offsets[-1] >= b:  # the piece ends inside this day
            return _emit(series, plan, 0, base, base_moment, b, last)
        # A whole day: its changes in bulk, the first dropped if it continues yesterday's state.
        deltas, states = plan.rest if plan.states[0] is last else plan.whole
        series.moments.extend(map(base_moment.__add__, deltas))
        series.states.extend(states)
        last = states[-1] if states else last


def _emit(
    series: _Series,
    plan: _Plan,
    first: int,
    base: int,
    base_moment: datetime,
    end: int,
    last: State | None,
) -> State | None:
    """Append the plan's changes from index `first` on that come before `end`, one by one."""
    offsets, (deltas, states) = plan.offsets, plan.whole
    for i in range(first, len(offsets)):
        if base + offsets[i] >= end:
            break
        if states[i] is not last:
            last = states[i]
            series.moments.append(base_moment + deltas[i])
            series.states.append(last)
    return last


@lru_cache(maxsize=1 << 14)  # 45 years of days
def _local_day(day: int) -> tuple[date, int]:
    """The local date `day` days after 1970-01-01 and its `day_index` if it is no holiday.

    Cached: building dates and reading their fields was the largest cost of a day.
    """
    local = date.fromordinal(day + _EPOCH_ORDINAL)
    return local, day_index(local.month, local.day, local.weekday(), False)


def _build_plan(
    rules: Sequence[DayRule], market: Sequence[bool], interned: dict[State, State]
) -> _Plan:
    cuts = sorted({segment.start for rule in rules for segment in rule.segments})
    offsets: list[int] = []
    states: list[State] = []
    for cut in cuts:
        segments = [_segment_at(rule, cut) for rule in rules]
        # Market segments carry price 0, fixed ones a neutral surcharge: one sum serves both.
        fixed = sum((s.price for s in segments), _ZERO)
        surcharges = tuple(
            (s.surcharge_fixed, s.surcharge_factor)
            for s, is_market in zip(segments, market, strict=True)
            if is_market
        )
        state = interned.setdefault((fixed, surcharges), (fixed, surcharges))
        if not states or state is not states[-1]:
            offsets.append(cut * _US)
            states.append(state)
    whole = (tuple(timedelta(microseconds=o) for o in offsets), tuple(states))
    return _Plan(tuple(offsets), whole[1], whole, (whole[0][1:], whole[1][1:]))


def _segment_at(rule: DayRule, second: int) -> Segment:
    starts = [segment.start for segment in rule.segments]
    return rule.segments[bisect_right(starts, second) - 1]


def _splice(series: _Series, market: MarketPrices, which: int, hi: int) -> _Series:
    """Cut `series` at market `which`'s interval starts and add its market price to each value.

    The market covers the window without a gap (checked before), so the market intervals
    overlapping a stretch are the slice from the one holding its start to the last starting
    before its end.
    """
    out = _Series()
    starts, prices, moments = market._starts, market._prices, market._start_times
    times = series.times or [_micros(moment) for moment in series.moments]
    n = len(times)
    # Confidences are followed only once some market interval has one below 1.
    confidences = market._confidences
    follow = confidences is not None or bool(series.confidences)
    for i in range(n):
        a, b = times[i], (times[i + 1] if i + 1 < n else hi)
        state, base = series.states[i], series.values[i]
        surcharge, factor = state[1][which]
        first = bisect_right(starts, a) - 1
        stop = bisect_left(starts, b, first)
        out.times.append(a)
        out.times.extend(starts[first + 1 : stop])
        out.moments.append(series.moments[i])
        out.moments.extend(moments[first + 1 : stop])
        out.states.extend(repeat(state, stop - first))
        # base + (price + surcharge) * factor; Decimal arithmetic is the cost, so skip the
        # neutral steps.
        chunk = prices[first:stop]
        if surcharge == 0 and factor == 1:
            out.values.extend(chunk if base == 0 else [base + p for p in chunk])
        elif base == 0:
            out.values.extend([(p + surcharge) * factor for p in chunk])
        else:
            out.values.extend([base + (p + surcharge) * factor for p in chunk])
        if follow:
            own = series.confidences[i] if series.confidences else _ONE
            theirs = confidences[first:stop] if confidences else repeat(_ONE, stop - first)
            out.confidences.extend([min(own, c) for c in theirs])
    return out


_new = object.__new__
_set_start, _set_end, _set_value, _set_confidence = (
    Interval.__dict__[name].__set__ for name in ("start", "end", "value", "confidence")
)


def _columns(series: _Series, end: datetime, *, merge: bool) -> Columns:
    """The series' boundaries, values and confidences, neighbours equal in value and
    confidence merged (market prices may repeat)."""
    values, moments, confidences = series.values, series.moments, series.confidences
    if confidences:
        keys: list[Any] = list(zip(values, confidences, strict=True))
        if merge and any(map(eq, keys[1:], keys)):
            changed = [True, *map(ne, keys[1:], keys)]
            values, moments = list(compress(values, changed)), list(compress(moments, changed))
            confidences = list(compress(confidences, changed))
    elif merge and any(map(eq, values[1:], values)):
        changed = [True, *map(ne, values[1:], values)]
        values, moments = list(compress(values, changed)), list(compress(moments, changed))
    moments.append(end)  # the series' own list, or a new one: either is this call's
    return Columns(moments, values, confidences or None)


def as_intervals(columns: Columns) -> list[Interval]:
    """The columns as Intervals.

    Built in bulk: a frozen dataclass's __init__ sets each field through object.__setattr__,
    which made it the engine's largest cost; filling the slots through their descriptors in C
    loops (map) gives equal objects about three times faster.
    """
    moments, values = columns.boundaries, columns.values
    made: list[Interval] = list(map(_new, repeat(Interval, len(values))))
    deque(map(_set_start, made, moments), maxlen=0)
    deque(map(_set_end, made, moments[1:]), maxlen=0)
    deque(map(_set_value, made, values), maxlen=0)
    deque(map(_set_confidence, made, columns.confidences or repeat(_ONE)), maxlen=0)
    return made


def _offset_pieces(zone: tzinfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """[lo, hi) cut where the zone's UTC offset changes: (from, to, offset), all in µs."""
    first_year = (_EPOCH + timedelta(microseconds=lo)).year
    last_year = (_EPOCH + timedelta(microseconds=hi - 1)).year
    offset = _offset(zone, lo // _US)  # offsets change on whole seconds
    pieces = []
    for year in range(first_year, last_year + 1):
        for instant, after in _transitions(zone, year):
            if lo < instant < hi:
                pieces.append((lo, instant, offset))
                lo, offset = instant, after
    pieces.append((lo, hi, offset))
    return pieces


def _offset(zone: tzinfo, second: int) -> int:
    delta = datetime.fromtimestamp(second, zone).utcoffset()
    assert delta is not None  # an aware datetime from fromtimestamp always has one
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


@lru_cache(maxsize=4096)
def _transitions(zone: tzinfo, year: int) -> tuple[tuple[int, int], ...]:
    """The instants (µs) in UTC `year` at which the zone's UTC offset changes, with the new one.

    zoneinfo does not publish its transitions, so they are found by reading the offset once a
    day and bisecting to the second where it changed. That finds every change unless two come
    within a day of each other and cancel: in tzdata 2026f the closest two are 3.99 days apart
    (Africa/Freetown, 1939), and 6.96 days since 1970. Cached: a zone-year costs ~370 reads once.
    """
    second = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    before = _offset(zone, second)
    while second < stop:
        probe = min(second + 86_400, stop)
        after = _offset(zone, probe)
        if after != before:
            low, high = second, probe  # the offset at `low` is `before`, at `high` it is not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset(zone, middle) == before else (low, middle)
            found.append((high * _US, _offset(zone, high)))
            before = found[-1][1]
        second = probe
    return tuple(found)
