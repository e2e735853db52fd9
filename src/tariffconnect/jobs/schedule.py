"""When a periodic task is due: every so often, or at fixed local times of day in a zone.

Day-ahead prices publish at fixed local times (EPEX at about 12:45 Europe/Berlin), so a daily
schedule is written in the zone where that time holds, and stays right across DST changes:
on the day a local time does not exist (spring forward) it runs at the same distance past
midnight in the new offset, and on the day it happens twice (fall back) it runs once, the
first time.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HH_MM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True, slots=True)
class Every:
    """Due `interval` after the previous run ended (or after start-up, for the first run)."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("an interval must be positive")

    def first_due(self, now: datetime) -> datetime:
        return now

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval

    def describe(self) -> str:
        return f"every {_seconds(self.interval)}"


@dataclass(frozen=True, slots=True)
class DailyAt:
    """Due at each of `times` (`"HH:MM"`) of every day, as the clock on the wall in `zone`."""

    times: tuple[str, ...]
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.times:
            raise ValueError("a daily schedule needs at least one time")
        # A bad declaration fails when the worker starts, not at the first due time.
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.zone!r}") from None
        for value in self.times:
            if not _HH_MM.fullmatch(value):
                raise ValueError(f"not a time of day (HH:MM): {value!r}")

    def first_due(self, now: datetime) -> datetime:
        return self.next_after(now)

    def next_after(self, moment: datetime) -> datetime:
        """The first of the local times strictly after `moment` (UTC)."""
        zone = ZoneInfo(self.zone)
        day = moment.astimezone(zone).date()
        clock = sorted(time.fromisoformat(value) for value in self.times)
        for offset in range(3):  # today, tomorrow: one of them has a time after `moment`
            date = day + timedelta(days=offset)
            for at in clock:
                candidate = datetime.combine(date, at, tzinfo=zone).astimezone(UTC)
                if candidate > moment:
                    return candidate
        raise AssertionError("unreachable: every day has the declared times")

    def describe(self) -> str:
        return f"daily at {', '.join(self.times)} {self.zone}"


Schedule = Every | DailyAt


def with_jitter(due: datetime, jitter: timedelta) -> datetime:
    """`due` plus a random delay below `jitter`, so that many services do not fire at once."""
    if jitter <= timedelta(0):
        return due
    return due + jitter * random.random()  # noqa: S311 (spreading load, not a secret)


def _seconds(interval: timedelta) -> str:
    seconds = interval.total_seconds()
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"
