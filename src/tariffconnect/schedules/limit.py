"""Schedule by limit: the times whose price is within a limit, as windows.

LOW takes the intervals priced at most the limit, HIGH those priced at least it. An absolute
limit is a price; a relative one a share of the window's price range, measured from the
cheapest price for LOW (min + relative x (max - min)) and from the dearest for HIGH
(max - relative x (max - min)). relative 1 takes everything; near 0, only the extreme price.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tariffconnect.prices.engine import Interval
from tariffconnect.schedules.spans import Segment, Span, windows


def threshold(
    intervals: Sequence[Interval],
    *,
    segment: Segment,
    relative: Decimal | None,
    absolute: Decimal | None,
) -> Decimal:
    """The price limit: `absolute` when given (it wins), else `relative` of the range."""
    if absolute is not None:
        return absolute
    if relative is None:
        raise ValueError("a limit needs relative or absolute")
    low = min(i.value for i in intervals)
    high = max(i.value for i in intervals)
    return low + relative * (high - low) if segment == "LOW" else high - relative * (high - low)


def within(intervals: Sequence[Interval], *, segment: Segment, limit: Decimal) -> list[Span]:
    """The windows priced at most (LOW) or at least (HIGH) `limit`, adjacent ones merged."""
    if segment == "LOW":
        chosen = [i for i in intervals if i.value <= limit]
    else:
        chosen = [i for i in intervals if i.value >= limit]
    return windows(chosen)
