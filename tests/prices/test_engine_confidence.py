"""Confidence in the price engine: market intervals may carry one below 1 (forecasts), and a
priced interval has the lowest of the market intervals it covers."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tariffconnect.prices.engine import Interval, MarketPrices, price_intervals
from tariffconnect.tariffs.schedule import Schedule, ScheduleEntry, validate_schedule

ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2032, 6, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)
D = Decimal


def schedule(hours: list[dict[str, object]], *, market: bool) -> Schedule:
    entry = {"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}
    return validate_schedule([ScheduleEntry.model_validate(entry)], market_rates=market)


def whole_day(**rate: object) -> dict[str, object]:
    return {"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [rate]}


MARKET = schedule([whole_day(surcharge_fixed=0, surcharge_percentage=0)], market=True)


def quarters(*rows: tuple[str, str | None]) -> MarketPrices:
    """Back-to-back quarter hours from START: (price, confidence or None for none given)."""
    made: list[tuple[datetime, datetime, Decimal] | tuple[datetime, datetime, Decimal, Decimal]]
    made = []
    for i, (price, confidence) in enumerate(rows):
        start = START + i * QUARTER
        if confidence is None:
            made.append((start, start + QUARTER, D(price)))
        else:
            made.append((start, start + QUARTER, D(price), D(confidence)))
    return MarketPrices(made)


def priced(*tariffs: tuple[Schedule, MarketPrices | None], hours: int = 1) -> list[tuple]:
    found = price_intervals(
        list(tariffs), start=START, end=START + hours * HOUR, zone=ZONE, holidays=()
    )
    return [(i.start - START, i.end - START, i.value, i.confidence) for i in found]


def test_without_confidences_every_interval_is_certain():
    market = quarters(("0.1", None), ("0.2", None), ("0.2", "1"), ("0.3", None))
    assert priced((MARKET, market)) == [
        (timedelta(0), QUARTER, D("0.1"), D(1)),
        (QUARTER, 3 * QUARTER, D("0.2"), D(1)),
        (3 * QUARTER, HOUR, D("0.3"), D(1)),
    ]


def test_equal_values_of_different_confidence_stay_apart():
    market = quarters(("0.2", None), ("0.2", "0.9"), ("0.2", "0.9"), ("-0.05", "0.8"))
    assert priced((MARKET, market)) == [
        (timedelta(0), QUARTER, D("0.2"), D(1)),
        (QUARTER, 3 * QUARTER, D("0.2"), D("0.9")),
        (3 * QUARTER, HOUR, D("-0.05"), D("0.8")),
    ]


def test_a_fixed_schedule_alone_stays_certain_and_added_to_a_forecast_takes_its_confidence():
    fixed = schedule([whole_day(fixed=0.05)], market=False)
    assert priced((fixed, None)) == [(timedelta(0), HOUR, D("0.05"), D(1))]
    market = quarters(("0.1", None), ("0.1", None), ("0.1", "0.7"), ("0.1", "0.7"))
    assert priced((MARKET, market), (fixed, None)) == [
        (timedelta(0), 2 * QUARTER, D("0.15"), D(1)),
        (2 * QUARTER, HOUR, D("0.15"), D("0.7")),
    ]


def test_two_markets_give_the_lowest_confidence_of_the_intervals_covered():
    network = schedule([whole_day(surcharge_fixed=0.01, surcharge_percentage=0)], market=True)
    hourly = MarketPrices(
        [(START, START + HOUR, D("0.02"), D("0.9")), (START + HOUR, START + 2 * HOUR, D("0.02"))]
    )
    market = quarters(*[("0.1", None)] * 4, ("0.1", "0.95"), ("0.1", "0.8"), *[("0.1", None)] * 2)
    assert priced((MARKET, market), (network, hourly), hours=2) == [
        (timedelta(0), HOUR, D("0.13"), D("0.9")),
        (HOUR, HOUR + QUARTER, D("0.13"), D("0.95")),
        (HOUR + QUARTER, HOUR + 2 * QUARTER, D("0.13"), D("0.8")),
        (HOUR + 2 * QUARTER, 2 * HOUR, D("0.13"), D(1)),
    ]


def test_confidences_are_decimals_between_0_and_1():
    for bad in (D("1.01"), D("-0.1"), D("NaN"), 0.5):
        with pytest.raises(ValueError, match="confidence"):
            MarketPrices([(START, START + QUARTER, D("0.1"), bad)])  # type: ignore[arg-type]
    prices = MarketPrices([(START, START + QUARTER, D("0.1"), D(0))])
    found = price_intervals(
        [(MARKET, prices)], start=START, end=START + QUARTER, zone=ZONE, holidays=()
    )
    assert found == [Interval(START, START + QUARTER, D("0.1"), D(0))]
