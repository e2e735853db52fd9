"""The one background runner: periodic tasks and queued jobs, declared by each domain in its
own `tasks.py`, and the hot pumps (webhook delivery) it drives. See docs/operations.md."""

from tariffconnect.jobs.queue import enqueue
from tariffconnect.jobs.registry import JobHandler, PeriodicTask, Registry, TaskContext
from tariffconnect.jobs.schedule import DailyAt, Every

__all__ = [
    "DailyAt",
    "Every",
    "JobHandler",
    "PeriodicTask",
    "Registry",
    "TaskContext",
    "enqueue",
]
