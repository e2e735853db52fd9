"""Forecasts of a market source's prices past its published horizon (no database).

Method. The history used is the last 4 weeks: the 28 local delivery days (in the source's
delivery zone) ending with the day of the last published interval, the *latest day*. Each
published interval is cut into slots of the source's resolution, keyed by local weekday and
local wall-clock time. A future slot is priced at the median of its key's values over those
4 weeks (one value per day: a repeated fall-back hour on a past day counts as the mean of its
two readings), scaled to the latest day, and rounded half up to 5 decimals as stored prices are.

Scaling. The latest day's mean is compared with the mean of the days of the same weekday in the
4 weeks (the latest day among them). When both means are clearly positive, above a tenth of the
4 weeks' mean absolute price, the medians are multiplied by their ratio; otherwise (a mean near
zero or negative, where a ratio explodes or flips the daily shape) the difference of the means
is added instead. Negative prices are kept as they are.

Confidence falls with the horizon: 0.9 for the first 24 hours after the last published
interval, then linearly to 0.5 for the seventh (0.9, 0.83, 0.77, 0.70, 0.63, 0.57, 0.50),
and nothing is forecast beyond 7 days.

Nothing is invented: with fewer than 7 local days of history there is no forecast at all, and
the forecast stops at the first slot that has no value in the 4 weeks, so the caller answers
"no price data" from there on. DST: slots are walked in UTC, so a local time skipped on a
spring-forward day is never forecast, and both readings of a repeated hour get its median.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from zoneinfo import ZoneInfo

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7
HORIZON_DAYS = 7
FIRST_DAY_CONFIDENCE = Decimal("0.9")
LAST_DAY_CONFIDENCE = Decimal("0.5")
# Below this share of the history's mean absolute price a mean counts as near zero.
RATIO_FLOOR = Decimal("0.1")
_PRICE_QUANTUM = Decimal("0.00001")
_CONFIDENCE_QUANTUM = Decimal("0.01")
_DAY = timedelta(days=1)
_ZERO, _ONE = Decimal(0), Decimal(1)

Published = tuple[datetime, datetime, Decimal]
Forecast = tuple[datetime, datetime, Decimal, Decimal]  # start, end, price, confidence
# A slot's key: (local weekday, minutes after local midnight on the wall clock).
_Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Scaling:
    """price = median * factor + shift."""

    factor: Decimal
    shift: Decimal

    def apply(self, value: Decimal) -> Decimal:
        """`value` scaled, rounded half up to 5 decimals."""
        return (value * self.factor + self.shift).quantize(_PRICE_QUANTUM, ROUND_HALF_UP)


def forecast(
    history: Sequence[Published],
    *,
    zone: ZoneInfo,
    resolution: timedelta,
    until: datetime,
) -> list[Forecast]:
    """Intervals of `resolution` from the end of `history` (sorted) to `until`, 7 days at most."""
    if not history:
        return []
    last_day = history[-1][0].astimezone(zone).date()
    days = _slot_values(history, zone=zone, resolution=resolution, last_day=last_day)
    if len(days) < MIN_HISTORY_DAYS:
        return []
    medians = _medians(days)
    scaling = _scaling(days, last_day=last_day)
    published_end = history[-1][1]
    stop = min(until, published_end + HORIZON_DAYS * _DAY)
    found: list[Forecast] = []
    start = published_end
    while start < stop:
        value = medians.get(_key(start, zone))
        if value is None:
            break  # no history for this slot: never a made-up price
        confidence = horizon_confidence(start - published_end)
        found.append((start, start + resolution, scaling.apply(value), confidence))
        start += resolution
    return found


def horizon_confidence(ahead: timedelta) -> Decimal:
    """The confidence of a slot starting `ahead` after the last published interval's end."""
    day = min(ahead // _DAY, HORIZON_DAYS - 1)
    fall = (FIRST_DAY_CONFIDENCE - LAST_DAY_CONFIDENCE) * day / (HORIZON_DAYS - 1)
    return (FIRST_DAY_CONFIDENCE - fall).quantize(_CONFIDENCE_QUANTUM, ROUND_HALF_UP)


def _key(moment: datetime, zone: ZoneInfo) -> _Key:
    local = moment.astimezone(zone)
    return local.weekday(), local.hour * 60 + local.minute


def _slot_values(
    history: Sequence[Published], *, zone: ZoneInfo, resolution: timedelta, last_day: date
) -> dict[date, dict[int, list[Decimal]]]:
    """Per local day of the 4 weeks up to `last_day`: each slot's readings (two for a repeated
    hour), by minutes after local midnight."""
    first_day = last_day - (HISTORY_DAYS - 1) * _DAY
    days: defaultdict[date, defaultdict[int, list[Decimal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for start, end, price in history:
        slot = start
        while slot < end:  # a longer published interval fills each slot it spans
            local = slot.astimezone(zone)
            if first_day <= local.date() <= last_day:
                days[local.date()][local.hour * 60 + local.minute].append(price)
            slot += resolution
    return {day: dict(slots) for day, slots in days.items()}


def _medians(days: dict[date, dict[int, list[Decimal]]]) -> dict[_Key, Decimal]:
    """Each (weekday, slot)'s median over the days, one value (the mean of its readings) a day."""
    values: defaultdict[_Key, list[Decimal]] = defaultdict(list)
    for day, slots in days.items():
        for minute, readings in slots.items():
            values[day.weekday(), minute].append(_mean(readings))
    return {key: median(found) for key, found in values.items()}


def _scaling(days: dict[date, dict[int, list[Decimal]]], *, last_day: date) -> _Scaling:
    """The latest day's level against its weekday's usual level: a ratio, or a shift near 0."""
    latest = _mean(_readings(days, [last_day]))
    usual = _mean(_readings(days, [d for d in days if d.weekday() == last_day.weekday()]))
    typical = _mean([abs(price) for price in _readings(days, list(days))])
    floor = RATIO_FLOOR * typical
    if latest > floor and usual > floor:
        return _Scaling(latest / usual, _ZERO)
    return _Scaling(_ONE, latest - usual)


def _readings(days: dict[date, dict[int, list[Decimal]]], which: list[date]) -> list[Decimal]:
    return [price for day in which for readings in days[day].values() for price in readings]


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, _ZERO) / len(values)
