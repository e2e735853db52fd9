"""What the schedule solvers share: the stretches they choose and how those become windows.

The solvers read the price series of `prices.service.intervals` (UTC, half-open, values
rounded to 5 decimals as /prices shows them) and know nothing of the database or of HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from tariffconnect.prices.engine import Interval

Segment = Literal["LOW", "HIGH"]
RATE_QUANTUM = Decimal("0.00001")  # rates go out with at most 5 decimals, as /prices does
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Span:
    """A chosen window: its time-weighted average price and the lowest confidence in it."""

    start: datetime
    end: datetime
    rate_avg: Decimal
    confidence: Decimal

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def micros(length: timedelta) -> int:
    return length // _MICROSECOND


def windows(pieces: Iterable[Interval]) -> list[Span]:
    """Pieces (sorted, not overlapping) merged into one Span wherever one ends as the next
    starts; each Span's rate is the time-weighted average of its pieces, rounded half up."""
    spans: list[Span] = []
    run: list[Interval] = []
    for piece in pieces:
        if run and run[-1].end != piece.start:
            spans.append(_span(run))
            run = []
        run.append(piece)
    if run:
        spans.append(_span(run))
    return spans


def _span(run: Sequence[Interval]) -> Span:
    total = sum((p.value * micros(p.end - p.start) for p in run), Decimal(0))
    length = micros(run[-1].end - run[0].start)
    return Span(
        start=run[0].start,
        end=run[-1].end,
        rate_avg=(total / length).quantize(RATE_QUANTUM, ROUND_HALF_UP),
        confidence=min(p.confidence for p in run),
    )


def piece(interval: Interval, start: datetime, end: datetime) -> Interval:
    """The part of `interval` from `start` to `end` (inside it)."""
    return Interval(start, end, interval.value, interval.confidence)
