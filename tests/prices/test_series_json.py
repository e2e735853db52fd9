"""The /prices `data` array written without a dict per row (`series.series_json`) is
byte-for-byte what orjson.dumps made of the per-row dicts before it, whatever the intervals'
lengths, the DST days they cross, the answer's offset and the values."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from pydantic import TypeAdapter

from tariffconnect.core.windows import JSON_OPTIONS
from tariffconnect.prices.engine import (
    Columns,
    Interval,
    MarketPrices,
    as_intervals,
    price_columns,
)
from tariffconnect.prices.series import series_json
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule

LONDON = ZoneInfo("Europe/London")


def reference(intervals: list[Interval], offset: tzinfo) -> bytes:
    """What service._series and orjson.dumps wrote before series_json (kept here verbatim)."""
    if not intervals:
        return orjson.dumps([], option=JSON_OPTIONS)
    moments = [intervals[0].start, *(interval.end for interval in intervals)]
    if offset.utcoffset(None) != timedelta(0):
        moments = [moment.astimezone(offset) for moment in moments]
    rows: list[dict[str, Any]] = [
        {
            "valid_from": moments[index],
            "valid_to": moments[index + 1],
            "price": {"value": float(interval.value), "confidence": float(interval.confidence)},
        }
        for index, interval in enumerate(intervals)
    ]
    return orjson.dumps(rows, option=JSON_OPTIONS)


def columns_of(intervals: list[Interval]) -> Columns:
    boundaries = [intervals[0].start, *(interval.end for interval in intervals)]
    return Columns(boundaries, [i.value for i in intervals], [i.confidence for i in intervals])


# The offsets an answer is written in: the request's end_time's, as pydantic parses it.
_PARSED = TypeAdapter(datetime)
OFFSETS = [
    UTC,
    timezone(timedelta(hours=1)),
    timezone(-timedelta(hours=5, minutes=30)),
    _PARSED.validate_python("2026-03-29T12:00:00+05:45").tzinfo,
    _PARSED.validate_python("2026-03-29T12:00:00Z").tzinfo,
    _PARSED.validate_python("2026-10-25T12:00:00-07:00").tzinfo,
]
# Around London's spring-forward (2026-03-29) and fall-back (2026-10-25) nights.
DST_DAYS = [datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 10, 24, 12, tzinfo=UTC)]


def market(start: datetime, step: timedelta, count: int, *, forecast: bool) -> MarketPrices:
    rng = random.Random(f"{start}{step}{forecast}")
    rows: list[Any] = []
    for i in range(count):
        price = Decimal(f"{rng.uniform(-0.3, 0.9):.5f}")
        begin, end = start + i * step, start + (i + 1) * step
        if forecast and i > count // 2:
            rows.append((begin, end, price, Decimal(f"0.{rng.randint(1, 99):02d}")))
        else:
            rows.append((begin, end, price))
    return MarketPrices(rows)


def surcharged(percentage: float) -> Any:
    hours = [
        {"valid_from": "00:00:00", "valid_to": "07:00:00", "rate": [{"surcharge_fixed": 0.02}]},
        {
            "valid_from": "07:00:00",
            "valid_to": "00:00:00",
            "rate": [{"surcharge_fixed": 0.031, "surcharge_percentage": percentage}],
        },
    ]
    entry = {"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}
    return validate_schedule([ScheduleEntry.model_validate(entry)], market_rates=True)


@pytest.mark.parametrize("minutes", [15, 30, 60])
@pytest.mark.parametrize("first", DST_DAYS)
@pytest.mark.parametrize("decimals", [5, None])
@pytest.mark.parametrize("forecast", [False, True])
def test_engine_series_over_dst_days_match_the_per_row_dicts(
    minutes: int, first: datetime, decimals: int | None, forecast: bool
) -> None:
    step = timedelta(minutes=minutes)
    prices = market(first - timedelta(days=1), step, 3 * 1440 // minutes, forecast=forecast)
    # Edges off the step, to the microsecond (the answer omits microseconds).
    start = first + timedelta(minutes=7, microseconds=123_456)
    end = first + timedelta(days=1, hours=1, seconds=3)
    columns = price_columns(
        [(surcharged(0.05), prices)],
        start=start,
        end=end,
        zone=LONDON,
        holidays=frozenset(),
        decimals=decimals,
    )
    assert (columns.confidences is None) == (not forecast)
    got = as_intervals(columns)
    assert len(got) > 24 * 60 // minutes  # every step its own interval, and the cut edges
    assert forecast == any(interval.confidence != 1 for interval in got)
    for offset in OFFSETS:
        assert series_json(columns, offset) == reference(got, offset), (offset, minutes)


def test_odd_values_and_times_match_the_per_row_dicts() -> None:
    rng = random.Random(17)
    moment = datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC)
    intervals = []
    for _ in range(500):
        end = moment + timedelta(seconds=rng.randint(1, 7200), microseconds=rng.randint(0, 999))
        value = Decimal(rng.choice(["0", "-0", "1e-7", "123456789.123456789", "-0.000015"]))
        value += Decimal(rng.randint(-(10**6), 10**6)).scaleb(-rng.randint(0, 12))
        confidence = Decimal(rng.choice(["1", "0", "0.5", "0.333333333333"]))
        intervals.append(Interval(moment, end, value, confidence))
        moment = end
    for offset in OFFSETS:
        assert series_json(columns_of(intervals), offset) == reference(intervals, offset)


@pytest.mark.parametrize("offset", OFFSETS)
def test_no_interval_and_one_interval(offset: tzinfo) -> None:
    assert series_json(Columns([], [], None), offset) == reference([], offset) == b"[]"
    one = [Interval(DST_DAYS[0], DST_DAYS[0] + timedelta(minutes=15), Decimal("0.1"), Decimal(1))]
    assert series_json(columns_of(one), offset) == reference(one, offset)
    assert orjson.loads(series_json(columns_of(one), UTC)) == [
        {
            "valid_from": "2026-03-28T12:00:00Z",
            "valid_to": "2026-03-28T12:15:00Z",
            "price": {"value": 0.1, "confidence": 1.0},
        }
    ]
