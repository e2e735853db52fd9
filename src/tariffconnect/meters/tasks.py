"""The meters room's periodic work: partitions of `meter_records` made ahead of time."""

from __future__ import annotations

from datetime import timedelta

from tariffconnect.jobs import Every, PeriodicTask, TaskContext
from tariffconnect.meters import partitions


def make_partitions(context: TaskContext) -> str:
    """This month's and the next months' partitions of `meter_records` (PostgreSQL)."""
    engine = context.runtime.db.engine
    if engine.dialect.name != "postgresql":
        return "SQLite: meter records are one plain table"
    months = partitions.months_from(partitions.month_of(context.now), partitions.MONTHS_AHEAD + 1)
    made = partitions.ensure(engine, months)
    return f"{len(made)} partitions made" + (f": {', '.join(made)}" if made else "")


TASKS = [
    PeriodicTask(
        name="meters.partitions",
        schedule=Every(timedelta(hours=6)),
        run=make_partitions,
        jitter=timedelta(minutes=5),
    ),
]
