"""Published market prices kept in memory per process, by source and UTC day.

Every price request for a market tariff reads its window of prices, and a 90-day window at 15
minutes is 8,640 rows: read and converted from the database each time, that is most of the
request. Published days change rarely (a new day once a day, now and then a correction), so
each process keeps the days it has read, as tuples ready for the engine.

Staleness: every change to a source's prices goes through `store.upsert`, which gives the
source a new version token in the same transaction. A reader passes the token it read; when it
differs from the one the cached days were read under, the source's days are dropped and read
again. On PostgreSQL this is what keeps several processes (and machines) right; on SQLite the
same check costs one read of a tiny table.

A day that had no prices is kept too (empty): a window that runs past the published horizon
does not ask the database again for days that are not there, until the token changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Connection, bindparam, select

from tariffconnect.core.timeutil import as_utc
from tariffconnect.db.per_database import PerDatabase
from tariffconnect.market.models import MarketPrice

Published = tuple[datetime, datetime, Decimal]
MAX_DAYS = 4096  # source-days kept per database: about 100 MB of 15-minute days at most
_DAY = timedelta(days=1)
_LONGEST_INTERVAL = timedelta(minutes=60)
_DAYS = (
    select(MarketPrice.start, MarketPrice.end, MarketPrice.price)
    .where(
        MarketPrice.source_id == bindparam("source_id"),
        MarketPrice.start >= bindparam("since"),
        MarketPrice.start < bindparam("until"),
    )
    .order_by(MarketPrice.start)
)


class PublishedDays:
    """The published days of each source, as last read under each source's version token."""

    def __init__(self, max_days: int = MAX_DAYS) -> None:
        self.max_days = max_days
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._days: OrderedDict[tuple[str, date], tuple[Published, ...]] = OrderedDict()

    def window(
        self,
        connection: Connection,
        source_id: str,
        token: str | None,
        *,
        start: datetime,
        end: datetime,
    ) -> list[Published]:
        """The source's intervals that overlap [start, end) (UTC), in order. `token` is the
        source's current version (`store.versions`); None when it has no prices at all."""
        return [
            interval
            for _day, intervals in self.days(connection, source_id, token, start=start, end=end)
            for interval in intervals
            if interval[1] > start and interval[0] < end
        ]

    def days(
        self,
        connection: Connection,
        source_id: str,
        token: str | None,
        *,
        start: datetime,
        end: datetime,
    ) -> list[tuple[date, tuple[Published, ...]]]:
        """Every UTC day whose intervals may overlap [start, end), in order, with all of its
        intervals (those outside the window too)."""
        if token is None:
            return []
        first = (start - _LONGEST_INTERVAL).date()  # an interval that started the day before
        last = (end - timedelta(microseconds=1)).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        found = self._cached(source_id, token, days)
        missing = [day for day in days if day not in found]
        if missing:
            read = self._read(connection, source_id, missing[0], missing[-1])
            found.update(read)
            self._keep(source_id, token, read)
        return [(day, found[day]) for day in days]

    def _cached(
        self, source_id: str, token: str, days: list[date]
    ) -> dict[date, tuple[Published, ...]]:
        with self._lock:
            if self._tokens.get(source_id) != token:
                self._drop(source_id)
                return {}
            found = {}
            for day in days:
                key = (source_id, day)
                if key in self._days:
                    self._days.move_to_end(key)
                    found[day] = self._days[key]
            return found

    def _keep(self, source_id: str, token: str, read: dict[date, tuple[Published, ...]]) -> None:
        with self._lock:
            if self._tokens.get(source_id) not in (None, token):
                self._drop(source_id)
            self._tokens[source_id] = token
            for day, intervals in read.items():
                self._days[(source_id, day)] = intervals
                self._days.move_to_end((source_id, day))
            while len(self._days) > self.max_days:
                self._days.popitem(last=False)

    def _drop(self, source_id: str) -> None:
        for key in [key for key in self._days if key[0] == source_id]:
            del self._days[key]
        self._tokens.pop(source_id, None)

    @staticmethod
    def _read(
        connection: Connection, source_id: str, first: date, last: date
    ) -> dict[date, tuple[Published, ...]]:
        """Every day from `first` to `last`, with the intervals that start in it."""
        since = datetime.combine(first, time(), UTC)
        until = datetime.combine(last, time(), UTC) + _DAY
        by_day: dict[date, list[Published]] = {
            first + timedelta(days=n): [] for n in range((last - first).days + 1)
        }
        params = {"source_id": source_id, "since": since, "until": until}
        for start, end, price in connection.execute(_DAYS, params):
            begins = as_utc(start)
            by_day[begins.date()].append((begins, as_utc(end), Decimal(price)))
        return {day: tuple(intervals) for day, intervals in by_day.items()}


_PER_DATABASE = PerDatabase(PublishedDays)


def published_days(connection: Connection) -> PublishedDays:
    """This process's cache for the database behind `connection` (db/per_database.py): engines
    of one database share it (tokens keep them right, as they keep separate processes right),
    and two databases in one process never do."""
    return _PER_DATABASE.of(connection.engine)
