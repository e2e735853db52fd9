"""PostgreSQL partitions of `meter_records`: one per calendar month (UTC) of `start_time`.

The `meters.partitions` task (meters/tasks.py) makes this month's and the next MONTHS_AHEAD
months' partitions ahead of time; a batch with records in a month that has none yet (an old
backfill, or a worker that has not run) gets it made on demand, in a transaction of its own
so that the lock it takes on the parent table is held only for the moment of creation. There
is no DEFAULT partition: a row lands in its month's partition or the insert fails, never in a
catch-all that would block creating that month later. SQLite has one plain table.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, text

TABLE = "meter_records"
MONTHS_AHEAD = 3
# One creator at a time across processes: CREATE TABLE ... IF NOT EXISTS alone still races.
_LOCK_KEY = 0x6D657465  # "mete"
_known: set[str] = set()
_known_lock = threading.Lock()


def month_of(moment: datetime) -> date:
    """The first day of `moment`'s UTC month."""
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def name_of(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def months_from(first: date, count: int) -> list[date]:
    months = [first]
    while len(months) < count:
        months.append(next_month(months[-1]))
    return months


def existing(connection: Connection) -> set[str]:
    """The names of the partitions `meter_records` has now."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": TABLE},
    )
    return {name for (name,) in rows}


def ensure(engine: Engine, months: Iterable[date]) -> list[str]:
    """Make the partitions of `months` that do not exist yet; the names of those made.

    Known partitions are remembered in-process (they are never dropped here), so a batch
    whose months all exist costs no query.
    """
    if engine.dialect.name != "postgresql":
        return []
    wanted = {name_of(month): month for month in months}
    if wanted.keys() <= _known:
        return []
    made = []
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        present = existing(connection)
        for name, month in sorted(wanted.items()):
            if name in present:
                continue
            low = datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()
            high = datetime.combine(next_month(month), datetime.min.time(), UTC).isoformat()
            connection.execute(
                text(
                    f'CREATE TABLE "{name}" PARTITION OF "{TABLE}" '
                    f"FOR VALUES FROM ('{low}') TO ('{high}')"
                )
            )
            made.append(name)
            present.add(name)
    with _known_lock:
        _known.update(present)
    return made


def forget_known() -> None:
    """Drop the in-process memory of partitions (tests that reset the schema)."""
    with _known_lock:
        _known.clear()
