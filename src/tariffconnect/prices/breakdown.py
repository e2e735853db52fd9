"""One tariff's price in its parts, for audits: the schedule's fixed rate, or the market price
with the surcharges applied to it, in each stretch where none of them changes.

It walks the local days exactly as the engine does (`engine._walk`, so DST, holidays and the
precedence of schedule entries are the engine's own), then cuts market tariffs at their market
intervals. A part's `value` is exact; the engine's summed value for the same instant is the
sum of the tariffs' values, so the parts explain the /prices figure to the last decimal
before it is rounded.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tariffconnect.prices.engine import MarketPrices, NoPriceData, _micros, _walk
from tariffconnect.tariffs.schedule import Schedule

_ZERO, _ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class Part:
    """One tariff from `start` to `end` (UTC): `fixed` is a fixed tariff's rate (0 on market
    tariffs); `market` the market price (None on fixed tariffs), to which `surcharge_fixed` is
    added before the whole is multiplied by `surcharge_factor` (1 + surcharge_percentage)."""

    start: datetime
    end: datetime
    fixed: Decimal
    market: Decimal | None
    surcharge_fixed: Decimal
    surcharge_factor: Decimal
    confidence: Decimal

    @property
    def value(self) -> Decimal:
        if self.market is None:
            return self.fixed
        return self.fixed + (self.market + self.surcharge_fixed) * self.surcharge_factor


def tariff_parts(
    schedule: Schedule,
    market: MarketPrices | None,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    holidays: Container[date],
) -> list[Part]:
    """The tariff's parts tiling [start, end); `NoPriceData` where a market tariff's prices
    do not cover the window (as the engine raises it)."""
    lo, hi = _micros(start), _micros(end)
    if hi <= lo:
        return []
    if schedule.market_rates:
        if market is None:
            raise NoPriceData(start)
        market._check_covers(lo, hi)
    series = _walk([(schedule, market)], zone, holidays, lo, hi, start.astimezone(UTC))
    ends = [*series.moments[1:], end.astimezone(UTC)]
    parts: list[Part] = []
    for moment, until, state in zip(series.moments, ends, series.states, strict=True):
        fixed, surcharges = state
        if market is None or not schedule.market_rates:
            parts.append(Part(moment, until, fixed, None, _ZERO, _ONE, _ONE))
            continue
        surcharge, factor = surcharges[0]
        parts += _market_parts(market, moment, until, fixed, surcharge, factor)
    return parts


def _market_parts(
    market: MarketPrices,
    moment: datetime,
    until: datetime,
    fixed: Decimal,
    surcharge: Decimal,
    factor: Decimal,
) -> list[Part]:
    """[moment, until) cut at the market intervals' starts (they cover it without a gap)."""
    starts = market._starts
    first = bisect_right(starts, _micros(moment)) - 1
    stop = bisect_left(starts, _micros(until), first)
    cuts = [moment, *market._start_times[first + 1 : stop], until]
    confidences = market._confidences
    return [
        Part(
            cuts[k - first],
            cuts[k - first + 1],
            fixed,
            market._prices[k],
            surcharge,
            factor,
            confidences[k] if confidences is not None else _ONE,
        )
        for k in range(first, stop)
    ]
