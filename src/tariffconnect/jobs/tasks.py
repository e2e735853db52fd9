"""The runner's own upkeep: finished jobs and silent workers do not pile up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from tariffconnect.db.database import rows_changed
from tariffconnect.jobs import beats
from tariffconnect.jobs.models import DONE, QueuedJob
from tariffconnect.jobs.registry import PeriodicTask, TaskContext
from tariffconnect.jobs.schedule import Every

KEEP_DONE = timedelta(days=7)  # dead jobs are kept until someone looks at them


def purge(context: TaskContext) -> str:
    """Delete jobs done more than KEEP_DONE ago and the rows of workers gone for a day."""
    with context.runtime.db.transaction() as session:
        old = QueuedJob.status == DONE, QueuedJob.time_updated < context.now - KEEP_DONE
        done = rows_changed(session.execute(delete(QueuedJob).where(*old)))
        workers = beats.forget_silent(session, now=context.now)
    return f"{done} done jobs and {workers} silent workers removed"


TASKS = [
    PeriodicTask(
        name="jobs.purge",
        schedule=Every(timedelta(hours=1)),
        run=purge,
        jitter=timedelta(minutes=5),
    ),
]
