"""Prepared market days: joined without checking each interval again, and priced exactly as
the intervals themselves would be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.prices.engine import MarketPrices, NoPriceData, _micros

T0 = datetime(2026, 3, 28, tzinfo=UTC)
Q = timedelta(minutes=15)


def quarters(first: int, count: int, price: str = "0.1", confidence: str | None = None):
    out = []
    for n in range(first, first + count):
        interval = (T0 + n * Q, T0 + (n + 1) * Q, Decimal(price) + n)
        out.append((*interval, Decimal(confidence)) if confidence else interval)
    return out


def state(prices: MarketPrices):
    return (
        list(prices),
        prices._starts,
        prices._ends,
        prices._runs,
        prices._confidences,
    )


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5), st.booleans()), min_size=0, max_size=5)
)
def test_joined_parts_are_the_whole_as_if_prepared_at_once(pieces):
    intervals, parts, at = [], [], 0
    for gap, count, forecast in pieces:
        at += gap
        part = quarters(at, count, confidence="0.9" if forecast else None)
        at += count
        intervals += [(*iv[:3], iv[3] if len(iv) == 4 else Decimal(1)) for iv in part]
        parts.append(MarketPrices(part))
    whole = MarketPrices(intervals)
    assert state(MarketPrices.joined(parts)) == state(whole)


def test_parts_that_overlap_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        MarketPrices.joined([MarketPrices(quarters(0, 4)), MarketPrices(quarters(3, 2))])


def test_until_keeps_the_intervals_that_start_before_a_moment():
    prices = MarketPrices(quarters(0, 3) + quarters(5, 2, confidence="0.5"))
    head = prices.until(T0 + 5 * Q + timedelta(minutes=1))
    assert state(head) == state(MarketPrices(quarters(0, 3) + quarters(5, 1, confidence="0.5")))
    assert len(prices.until(T0)) == 0


def test_last_end_within_names_the_last_interval_overlapping_the_window():
    prices = MarketPrices(quarters(0, 3) + quarters(5, 2))
    assert prices.last_end_within(T0, T0 + 4 * Q) == T0 + 3 * Q
    assert prices.last_end_within(T0 + Q, T0 + 9 * Q) == T0 + 7 * Q
    assert prices.last_end_within(T0 + 3 * Q, T0 + 5 * Q) is None  # in the gap
    assert prices.last_end_within(T0 + 7 * Q, T0 + 9 * Q) is None  # past the end


def test_a_joined_gap_is_still_no_price_data():
    joined = MarketPrices.joined([MarketPrices(quarters(0, 2)), MarketPrices(quarters(3, 2))])
    with pytest.raises(NoPriceData) as raised:
        joined._check_covers(_micros(T0), _micros(T0 + 5 * Q))
    assert raised.value.moment == T0 + 2 * Q
