"""Schedule by duration: the cheapest (LOW) or dearest (HIGH) `duration` of a priced window.

Both answers are exact optima over every choice of time, not only whole minutes:

- Split (`continuous` false): the cost of a set of times is the sum of price x time over it,
  so the best set takes whole intervals from the best price on (a fractional knapsack) and,
  for what is left, the *earliest* part of the next best interval. Equal prices are taken
  earliest first, so among all optimal sets this is the one that ends its choices soonest.
- Continuous: the cost of a window [s, s + duration) is piecewise linear in s, bending only
  where s or s + duration meets a price change. Its optimum is therefore at one of those
  starts (or at the start of the window or the last start that fits); those few candidates
  are compared exactly, and the earliest wins a tie. With whole-minute prices and window,
  every candidate is a whole minute, so this equals the best of all minute starts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tariffconnect.prices.engine import Interval
from tariffconnect.schedules.spans import RATE_QUANTUM, Segment, Span, micros, piece, windows


def split(intervals: Sequence[Interval], *, duration: timedelta, segment: Segment) -> list[Span]:
    """The best `duration` of the series, in as many windows as it takes (see the module)."""
    sign = 1 if segment == "LOW" else -1
    order = sorted(intervals, key=lambda i: (sign * i.value, i.start))
    need = duration
    taken: list[Interval] = []
    for interval in order:
        if need <= timedelta(0):
            break
        take = min(interval.end - interval.start, need)
        taken.append(piece(interval, interval.start, interval.start + take))
        need -= take
    return windows(sorted(taken, key=lambda i: i.start))


def continuous(
    intervals: Sequence[Interval], *, duration: timedelta, segment: Segment
) -> list[Span]:
    """The best single window of exactly `duration` (see the module), as one Span."""
    first, last = intervals[0].start, intervals[-1].end
    starts = [i.start for i in intervals]
    # cumulative[k]: price x µs from `first` to starts[k]; the series has no gaps.
    cumulative = [Decimal(0)]
    for interval in intervals:
        cumulative.append(cumulative[-1] + interval.value * micros(interval.end - interval.start))

    def cost_until(moment: datetime) -> Decimal:
        k = bisect_right(starts, moment) - 1
        return cumulative[k] + intervals[k].value * micros(moment - intervals[k].start)

    latest = last - duration
    boundaries = [*starts, last]
    candidates = sorted(
        {first, latest}
        | {b for b in boundaries if first <= b <= latest}
        | {b - duration for b in boundaries if first <= b - duration <= latest}
    )
    sign = 1 if segment == "LOW" else -1
    best, best_cost = candidates[0], Decimal(0)
    for position, start in enumerate(candidates):
        cost = sign * (cost_until(start + duration) - cost_until(start))
        if position == 0 or cost < best_cost:
            best, best_cost = start, cost
    end = best + duration
    inside = [i for i in intervals if i.start < end and i.end > best]
    return [
        Span(
            start=best,
            end=end,
            rate_avg=(sign * best_cost / micros(duration)).quantize(RATE_QUANTUM, ROUND_HALF_UP),
            confidence=min(i.confidence for i in inside),
        )
    ]
