"""Checks a feed's prices pass before anything is stored, one delivery day at a time.

A day is rejected whole, with its reason, when its intervals overlap or repeat, mix
resolutions, leave gaps, do not fill the day (for whole-day auctions: 92, 96 or 100 quarter
hours, 23, 24 or 25 hours, as DST makes the day), or hold a price outside the SDAC harmonised
limits (-500 to +4,000 EUR/MWh) for EUR-cleared series. The other days are kept.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tariffconnect.market.feeds.base import PricePoint

SDAC_LIMITS = (Decimal("-0.5"), Decimal("4"))  # EUR per kWh: -500 and +4,000 EUR/MWh
ALLOWED_MINUTES = frozenset({15, 30, 60})


@dataclass(frozen=True, slots=True)
class Checked:
    days: dict[date, list[PricePoint]]  # accepted, by local delivery day
    rejected: dict[date, str]  # day -> reason


def day_length(day: date, zone: ZoneInfo) -> timedelta:
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return end.astimezone(ZoneInfo("UTC")) - start.astimezone(ZoneInfo("UTC"))


def check(points: Sequence[PricePoint], *, zone: ZoneInfo, whole_days: bool) -> Checked:
    """Group by delivery day in `zone` and check each day."""
    by_day: dict[date, list[PricePoint]] = defaultdict(list)
    for point in points:
        by_day[point.start.astimezone(zone).date()].append(point)
    days, rejected = {}, {}
    for day, group in sorted(by_day.items()):
        group.sort(key=lambda p: p.start)
        reason = _problem(day, group, zone=zone, whole_days=whole_days)
        if reason is None:
            days[day] = group
        else:
            rejected[day] = reason
    return Checked(days, rejected)


def _problem(
    day: date, points: list[PricePoint], *, zone: ZoneInfo, whole_days: bool
) -> str | None:
    minutes = {p.minutes for p in points}
    if not minutes <= ALLOWED_MINUTES:
        return f"{day}: intervals of {sorted(minutes)} minutes"
    if len(minutes) > 1:
        return f"{day}: mixed resolutions {sorted(minutes)}"
    for before, after in itertools.pairwise(points):
        end = before.start + timedelta(minutes=before.minutes)
        if after.start < end:
            return f"{day}: intervals overlap or repeat at {after.start.isoformat()}"
        if after.start > end:
            return f"{day}: a gap at {end.isoformat()}"
    for point in points:
        if point.currency == "EUR" and not SDAC_LIMITS[0] <= point.value <= SDAC_LIMITS[1]:
            return f"{day}: a price of {point.value} EUR/kWh, outside the SDAC limits"
    if whole_days:
        [step] = minutes
        expected = int(day_length(day, zone) / timedelta(minutes=step))
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        if len(points) != expected or points[0].start != midnight:
            return f"{day}: {len(points)} intervals of {step} minutes, not the day's {expected}"
    return None
