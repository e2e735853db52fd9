"""The runner's tables: one lease row per periodic task, the queue of jobs, and the workers.

None of them is owned by an account: they are the service's own bookkeeping. A job whose work
concerns an account carries the account's ids in its payload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tariffconnect.db.base import ID_LENGTH, Base, id_column

# Queued job states. A `running` job whose lease has run out is claimed again (its worker died).
QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
# A periodic task's last result.
OK, ERROR = "ok", "error"

NAME_LENGTH = 64
ERROR_LENGTH = 2000  # the last error is kept, cut to this many characters


class PeriodicTaskLease(Base):
    """When a periodic task is due next, who holds it now, and how its last run went.

    The row is the lease: a worker claims the task by setting `leased_until` (with a fresh
    `lease_token`) while `due_at` has passed, so one worker runs each due time.
    """

    __tablename__ = "periodic_tasks"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    due_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    leased_by: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_result: Mapped[str | None] = mapped_column(Text)


class QueuedJob(Base):
    """A unit of work enqueued in the transaction of the change that asked for it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    leased_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    last_error: Mapped[str | None] = mapped_column(Text)
    time_created: Mapped[datetime]
    time_updated: Mapped[datetime]


class WorkerBeat(Base):
    """A worker process's last sign of life, written every poll (see GET /health/worker)."""

    __tablename__ = "workers"

    id: Mapped[str] = id_column()
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    poll_seconds: Mapped[float] = mapped_column(Float)
    time_started: Mapped[datetime]
    last_seen: Mapped[datetime]
