"""The tariffs room's periodic work, run by the job runner."""

from __future__ import annotations

from datetime import timedelta

from tariffconnect.jobs import Every, PeriodicTask, TaskContext
from tariffconnect.tariffs import expiry


def scan_expiry(context: TaskContext) -> str:
    """Record due `tariff.expiring` and `tariff.expired` events (they then fan out)."""
    with context.runtime.db.transaction() as session:
        recorded = expiry.scan(session, now=context.now, track=context.track)
    return f"{recorded} expiry events recorded"


TASKS = [
    PeriodicTask(
        name="tariffs.expiry_scan",
        schedule=Every(timedelta(minutes=1)),
        run=scan_expiry,
        jitter=timedelta(seconds=5),
    ),
]
