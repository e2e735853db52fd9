"""breakdown.tariff_parts against the engine (Hypothesis): random fixed, time-of-use and
market tariffs over random windows around London's DST changes. Each tariff's parts tile the
window and equal the engine's price of that tariff wherever they are; their sum, rounded as
/prices rounds, is the engine's summed price."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tariffconnect.prices.breakdown import tariff_parts
from tariffconnect.prices.engine import MarketPrices, price_intervals
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule

LONDON = ZoneInfo("Europe/London")
BASE = datetime(2026, 10, 24, 12, tzinfo=UTC)  # 1.5 days before BST ends
# Decimals, not strings: schedules take numbers only, as the API does.
RATES = st.sampled_from([Decimal(v) for v in ("0.1", "0.12345", "0.2", "0.35")])
SURCHARGES = st.sampled_from([Decimal(v) for v in ("0", "0.02", "-0.01", "0.02123")])
PERCENTAGES = st.sampled_from([Decimal(v) for v in ("0", "0.05", "0.2")])


def hours(a: str, b: str, **rate) -> dict:
    return {"valid_from": a, "valid_to": b, "rate": [rate]}


@st.composite
def tariffs(draw):
    kind = draw(st.sampled_from(["flat", "tou", "market"]))
    if kind == "market":
        rate = {"surcharge_fixed": draw(SURCHARGES), "surcharge_percentage": draw(PERCENTAGES)}
        windows = [hours("00:00:00", "00:00:00", **rate)]
        if draw(st.booleans()):  # surcharges that change at night, wall clock
            other = {"surcharge_fixed": draw(SURCHARGES), "surcharge_percentage": Decimal(0)}
            windows = [
                hours("01:30:00", "05:00:00", **rate),
                hours("05:00:00", "01:30:00", **other),
            ]
    elif kind == "tou":
        cut = draw(st.sampled_from(["00:30:00", "01:30:00", "02:00:00"]))
        windows = [
            hours(cut, "07:30:00", fixed=draw(RATES)),
            hours("07:30:00", cut, fixed=draw(RATES)),
        ]
    else:
        windows = [hours("00:00:00", "00:00:00", fixed=draw(RATES))]
    entry = {"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": windows}]}
    schedule = validate_schedule(
        [ScheduleEntry.model_validate(entry)], market_rates=kind == "market"
    )
    market = None
    if kind == "market":
        step = timedelta(minutes=draw(st.sampled_from([15, 60])))
        count = int(timedelta(days=3) / step)
        prices = draw(st.lists(RATES, min_size=count, max_size=count))
        confidence = [Decimal(1)] * count
        if draw(st.booleans()):
            confidence = [Decimal("0.7") if k > count // 2 else Decimal(1) for k in range(count)]
        market = MarketPrices(
            (BASE + k * step, BASE + (k + 1) * step, Decimal(p), c)
            for k, (p, c) in enumerate(zip(prices, confidence, strict=True))
        )
    return schedule, market


@settings(max_examples=150, deadline=None)
@given(
    chosen=st.lists(tariffs(), min_size=1, max_size=3),
    offset=st.integers(0, 48 * 60),
    length=st.integers(1, 24 * 60),
)
def test_parts_are_the_engines_prices(chosen, offset, length):
    start = BASE + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    kwargs = {"start": start, "end": end, "zone": LONDON, "holidays": frozenset()}
    every = [tariff_parts(schedule, market, **kwargs) for schedule, market in chosen]
    for (schedule, market), parts in zip(chosen, every, strict=True):
        assert parts[0].start == start and parts[-1].end == end
        assert all(a.end == b.start for a, b in itertools.pairwise(parts))
        for interval in price_intervals([(schedule, market)], **kwargs):
            inside = [p for p in parts if p.start < interval.end and p.end > interval.start]
            assert {p.value for p in inside} == {interval.value}
            assert min(p.confidence for p in inside) == interval.confidence
    for interval in price_intervals(chosen, decimals=5, **kwargs):
        moment = interval.start
        exact = sum(next(p for p in parts if p.start <= moment < p.end).value for parts in every)
        assert exact.quantize(Decimal("0.00001"), ROUND_HALF_UP) == interval.value
