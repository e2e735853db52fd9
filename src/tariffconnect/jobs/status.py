"""What the runner is doing, for `tariffconnect jobs status` and GET /health/worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.jobs import beats
from tariffconnect.jobs.models import DEAD, DONE, QUEUED, RUNNING, PeriodicTaskLease, QueuedJob
from tariffconnect.jobs.registry import Registry

STATES = (QUEUED, RUNNING, DONE, DEAD)


@dataclass(frozen=True, slots=True)
class TaskStatus:
    name: str
    schedule: str
    runs: int
    last_started_at: datetime | None
    last_status: str | None  # ok, error, or None before the first run
    last_result: str | None
    next_due: datetime | None  # None until a worker has started with this task declared
    running_on: str | None  # the worker holding the lease now


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    id: str
    hostname: str
    pid: int
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Status:
    tasks: list[TaskStatus]
    jobs: dict[str, dict[str, int]]  # job name -> state -> count (every state present)
    workers: list[WorkerStatus]  # those alive now


def snapshot(session: Session, registry: Registry, *, now: datetime) -> Status:
    rows = {row.name: row for row in session.scalars(select(PeriodicTaskLease))}
    tasks = []
    for task in registry.periodic:
        row = rows.get(task.name)
        held = row is not None and row.leased_until is not None and as_utc(row.leased_until) > now
        tasks.append(
            TaskStatus(
                name=task.name,
                schedule=task.schedule.describe(),
                runs=row.runs if row else 0,
                last_started_at=_utc(row.last_started_at) if row else None,
                last_status=row.last_status if row else None,
                last_result=row.last_result if row else None,
                next_due=_utc(row.due_at) if row else None,
                running_on=row.leased_by if row and held else None,
            )
        )
    # A declared job shows with zero counts; a queued name no handler declares shows too.
    counts = {handler.name: dict.fromkeys(STATES, 0) for handler in registry.handlers}
    grouped = session.execute(
        select(QueuedJob.name, QueuedJob.status, func.count()).group_by(
            QueuedJob.name, QueuedJob.status
        )
    )
    for name, state, count in grouped:
        counts.setdefault(name, dict.fromkeys(STATES, 0))[state] = count
    workers = [
        WorkerStatus(row.id, row.hostname, row.pid, as_utc(row.last_seen))
        for row in beats.alive(session, now=now)
    ]
    return Status(tasks=tasks, jobs=dict(sorted(counts.items())), workers=workers)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
