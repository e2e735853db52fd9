"""The schedule solvers against brute force on small random cases (Hypothesis).

Prices here change on whole minutes, so every optimum is a set of whole minutes (split), a
whole-minute start (continuous) or, for amounts, integral powers in hourly slots (the program
is a transportation problem with integral data, whose optima include integral ones); the
brute force enumerates exactly those.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tariffconnect.prices.engine import Interval
from tariffconnect.schedules import amount, duration, limit

T0 = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PRICES = st.sampled_from([Decimal(v) for v in ("-0.05", "0", "0.1", "0.15", "0.2", "0.35")])
CONFIDENCES = st.sampled_from([Decimal("1"), Decimal("0.8")])


@st.composite
def series(draw, max_minutes=10):
    """Back-to-back intervals of 1-4 minutes, at most `max_minutes` in all."""
    intervals, moment = [], T0
    for _ in range(draw(st.integers(1, 5))):
        length = draw(st.integers(1, 4))
        if moment + length * MINUTE > T0 + max_minutes * MINUTE:
            break
        end = moment + length * MINUTE
        intervals.append(Interval(moment, end, draw(PRICES), draw(CONFIDENCES)))
        moment = end
    return intervals


def per_minute(intervals):
    """(price, confidence) of each minute of the series."""
    return [(i.value, i.confidence) for i in intervals for _ in range((i.end - i.start) // MINUTE)]


def chosen_minutes(spans):
    return [(span.start - T0) // MINUTE + k for span in spans for k in range(span.length // MINUTE)]


def rounded(value):
    return value.quantize(Decimal("0.00001"), ROUND_HALF_UP)


def check_rates(spans, minutes):
    for span in spans:
        inside = minutes[(span.start - T0) // MINUTE : (span.end - T0) // MINUTE]
        assert span.rate_avg == rounded(sum(p for p, _ in inside) / len(inside))
        assert span.confidence == min(c for _, c in inside)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), intervals=series(), segment=st.sampled_from(["LOW", "HIGH"]))
def test_split_is_the_earliest_optimal_set_of_minutes(data, intervals, segment):
    minutes = per_minute(intervals)
    need = data.draw(st.integers(1, len(minutes)))
    sign = 1 if segment == "LOW" else -1
    best = min(
        itertools.combinations(range(len(minutes)), need),
        key=lambda chosen: (sign * sum(minutes[m][0] for m in chosen), chosen),
    )
    spans = duration.split(intervals, duration=need * MINUTE, segment=segment)
    assert chosen_minutes(spans) == list(best)
    assert all(a.end < b.start for a, b in itertools.pairwise(spans))  # merged where adjacent
    check_rates(spans, minutes)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), intervals=series(), segment=st.sampled_from(["LOW", "HIGH"]))
def test_continuous_is_the_earliest_optimal_start(data, intervals, segment):
    minutes = per_minute(intervals)
    need = data.draw(st.integers(1, len(minutes)))
    sign = 1 if segment == "LOW" else -1
    best = min(
        range(len(minutes) - need + 1),
        key=lambda start: (sign * sum(p for p, _ in minutes[start : start + need]), start),
    )
    (span,) = duration.continuous(intervals, duration=need * MINUTE, segment=segment)
    assert (span.start, span.end) == (T0 + best * MINUTE, T0 + (best + need) * MINUTE)
    check_rates([span], minutes)


def test_split_takes_whole_quarter_hours_then_the_start_of_the_next_best():
    values = ["0.30", "0.10", "0.20", "0.10", "0.50", "0.05"]
    quarter = timedelta(minutes=15)
    intervals = [
        Interval(T0 + k * quarter, T0 + (k + 1) * quarter, Decimal(v), Decimal(1))
        for k, v in enumerate(values)
    ]
    spans = duration.split(intervals, duration=50 * MINUTE, segment="LOW")
    assert [(s.start - T0, s.end - T0, s.rate_avg) for s in spans] == [
        (timedelta(minutes=15), timedelta(minutes=35), Decimal("0.12500")),
        (timedelta(minutes=45), timedelta(minutes=60), Decimal("0.10000")),
        (timedelta(minutes=75), timedelta(minutes=90), Decimal("0.05000")),
    ]


def test_continuous_finds_starts_between_minutes_when_the_window_has_seconds():
    # A window from 00:00:30: the best 2 minutes start at the price change (00:02:00), which is
    # no whole minute after the window's start; a minute grid from 00:00:30 would miss it.
    start = T0 + timedelta(seconds=30)
    intervals = [
        Interval(start, T0 + 2 * MINUTE, Decimal("0.3"), Decimal(1)),
        Interval(T0 + 2 * MINUTE, T0 + 4 * MINUTE, Decimal("0.1"), Decimal(1)),
        Interval(T0 + 4 * MINUTE, T0 + 6 * MINUTE, Decimal("0.3"), Decimal(1)),
    ]
    (span,) = duration.continuous(intervals, duration=2 * MINUTE, segment="LOW")
    assert (span.start, span.end, span.rate_avg) == (
        T0 + 2 * MINUTE,
        T0 + 4 * MINUTE,
        Decimal("0.10000"),
    )


@settings(max_examples=200, deadline=None)
@given(
    intervals=series(),
    segment=st.sampled_from(["LOW", "HIGH"]),
    relative=st.sampled_from([Decimal(v) for v in ("0.01", "0.25", "0.5", "1")]),
)
def test_limit_takes_the_minutes_within_the_share_of_the_range(intervals, segment, relative):
    minutes = per_minute(intervals)
    low, high = min(p for p, _ in minutes), max(p for p, _ in minutes)
    if segment == "LOW":
        expected = [m for m, (p, _) in enumerate(minutes) if p <= low + relative * (high - low)]
    else:
        expected = [m for m, (p, _) in enumerate(minutes) if p >= high - relative * (high - low)]
    bound = limit.threshold(intervals, segment=segment, relative=relative, absolute=None)
    spans = limit.within(intervals, segment=segment, limit=bound)
    assert chosen_minutes(spans) == expected
    assert all(a.end < b.start for a, b in itertools.pairwise(spans))
    check_rates(spans, minutes)


def test_an_absolute_limit_wins_over_relative():
    intervals = [
        Interval(T0, T0 + MINUTE, Decimal("0.1"), Decimal(1)),
        Interval(T0 + MINUTE, T0 + 2 * MINUTE, Decimal("0.2"), Decimal(1)),
    ]
    bound = limit.threshold(intervals, segment="LOW", relative=Decimal(1), absolute=Decimal("0.15"))
    assert bound == Decimal("0.15")
    assert [(s.start, s.end) for s in limit.within(intervals, segment="LOW", limit=bound)] == [
        (T0, T0 + MINUTE)
    ]


# --- amounts ---------------------------------------------------------------------------------

HOUR = timedelta(hours=1)


@st.composite
def amount_case(draw):
    hours = draw(st.integers(2, 4))
    prices = {
        export: [
            Interval(T0 + k * HOUR, T0 + (k + 1) * HOUR, draw(PRICES), Decimal(1))
            for k in range(hours)
        ]
        for export in (False, True)
    }
    loads = []
    for _ in range(draw(st.integers(1, 2))):
        first = draw(st.integers(0, hours - 1))
        last = draw(st.integers(first + 1, hours))
        loads.append(
            amount.Load(
                start=T0 + first * HOUR,
                end=T0 + last * HOUR,
                max_kw=float(draw(st.integers(1, 3))),
                energy_kwh=float(draw(st.integers(1, 6))),
                export=draw(st.booleans()),
            )
        )
    return hours, prices, loads, float(draw(st.integers(1, 4)))


def brute_force(hours, prices, loads, site):
    """Every integral power per (load, hour): the most energy in the order given, then the
    least cost."""
    ranges = [
        [
            range(int(load.max_kw) + 1) if load.start <= T0 + k * HOUR < load.end else range(1)
            for k in range(hours)
        ]
        for load in loads
    ]
    best = None
    for choice in itertools.product(*(itertools.product(*r) for r in ranges)):
        if any(sum(load[k] for load in choice) > site for k in range(hours)):
            continue
        energies = [sum(powers) for powers in choice]
        if any(e > load.energy_kwh for e, load in zip(energies, loads, strict=True)):
            continue
        cost = sum(
            (-1 if load.export else 1) * float(prices[load.export][k].value) * powers[k]
            for load, powers in zip(loads, choice, strict=True)
            for k in range(hours)
        )
        key = (tuple(-e for e in energies), round(cost, 9))
        if best is None or key < best:
            best = key
    energies = [-e for e in best[0]]
    return energies, best[1]


@settings(max_examples=150, deadline=None)
@given(case=amount_case())
def test_amount_is_the_optimum_of_an_exhaustive_search(case):
    hours, prices, loads, site = case
    energies, cost = brute_force(hours, prices, loads, site)
    plans = amount.schedule(loads, site_kw=site, prices=prices)
    for plan, energy, load in zip(plans, energies, loads, strict=True):
        assert abs(plan.energy_kwh - energy) < 1e-6
        assert plan.reachable == (energy == load.energy_kwh)
        delivered = sum(run.kw * (run.end - run.start) / HOUR for run in plan.runs)
        assert abs(delivered - energy) < 1e-3
        assert all(run.kw <= load.max_kw + 1e-9 for run in plan.runs)
        assert all(load.start <= run.start < run.end <= load.end for run in plan.runs)
    assert abs(sum(plan.cost for plan in plans) - cost) < 1e-6
    for k in range(hours):  # the site limit, on what goes out
        moment = T0 + k * HOUR
        drawn = sum(run.kw for plan in plans for run in plan.runs if run.start <= moment < run.end)
        assert drawn <= site + 1e-9


def test_amount_shaving_rules_out_prices_above_the_cap():
    prices = [
        Interval(T0 + k * HOUR, T0 + (k + 1) * HOUR, Decimal(v), Decimal(1))
        for k, v in enumerate(["0.10", "0.30", "0.20", "0.40"])
    ]
    load = amount.Load(T0, T0 + 4 * HOUR, max_kw=2.0, energy_kwh=3.0, export=False)
    # Cap at 0.25: only the 0.10 and 0.20 hours may be used, 2 kW each: 4 kWh at most.
    shaving = amount.Shaving(relative=None, absolute=Decimal("0.25"))
    (plan,) = amount.schedule([load], site_kw=10.0, prices={False: prices}, shaving=shaving)
    assert [(r.start, r.end, r.kw) for r in plan.runs] == [
        (T0, T0 + HOUR, 2.0),
        (T0 + 2 * HOUR, T0 + 3 * HOUR, 1.0),
    ]
    assert round(plan.cost, 9) == 0.4  # 2 x 0.10 + 1 x 0.20
    assert round(plan.baseline, 9) == 0.5  # 2 x 0.10 + 1 x 0.30, unscheduled
    tight = amount.Shaving(relative=Decimal("0.01"), absolute=None)  # 0.10 + 0.01 x 0.30
    (short,) = amount.schedule([load], site_kw=10.0, prices={False: prices}, shaving=tight)
    assert not short.reachable and abs(short.energy_kwh - 2.0) < 1e-6
