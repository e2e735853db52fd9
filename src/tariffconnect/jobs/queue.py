"""Queued jobs: enqueued in the caller's transaction, run by a worker, retried with backoff.

- `enqueue` adds the row to the caller's session, so a job exists exactly when the change that
  asked for it committed.
- A worker leases due jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and counts the attempt when
  it claims, so a job that kills its worker still runs out of attempts.
- A failure waits `job_backoff_seconds * 2^(attempt - 1)` (at most MAX_BACKOFF, plus up to 20%
  jitter); after the configured attempts, or at once when its payload no longer parses, the
  job is dead with its last error kept.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db.database import rows_changed
from tariffconnect.jobs.models import DEAD, DONE, ERROR_LENGTH, QUEUED, RUNNING, QueuedJob

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Lease:
    """A job this worker runs now; settling it is fenced by `token`."""

    job_id: str
    name: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int | None
    token: str


def enqueue(
    session: Session,
    *,
    name: str,
    payload: BaseModel | dict[str, Any],
    run_after: datetime | None = None,
    max_attempts: int | None = None,
) -> QueuedJob:
    """Queue a job in the caller's transaction: it exists once, and only if that commits."""
    now = utcnow()
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    job = QueuedJob(
        id=new_id("job"),
        name=name,
        payload=data,
        status=QUEUED,
        run_after=run_after or now,
        attempts=0,
        max_attempts=max_attempts,
        leased_until=None,
        lease_token=None,
        last_error=None,
        time_created=now,
        time_updated=now,
    )
    session.add(job)
    return job


def claim(
    session: Session, names: Sequence[str], *, now: datetime, lease: timedelta, limit: int
) -> list[Lease]:
    """Lease up to `limit` due jobs of the names this worker handles, oldest due first.

    A `running` job whose lease ran out lost its worker: it is claimed again.
    """
    if limit <= 0 or not names:
        return []
    rows = session.scalars(
        select(QueuedJob)
        .where(
            QueuedJob.status.in_((QUEUED, RUNNING)),
            QueuedJob.name.in_(names),
            QueuedJob.run_after <= now,
            or_(QueuedJob.leased_until.is_(None), QueuedJob.leased_until <= now),
        )
        .order_by(QueuedJob.run_after, QueuedJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    leases = []
    for job in rows:
        job.status, job.attempts, job.time_updated = RUNNING, job.attempts + 1, now
        job.leased_until, job.lease_token = now + lease, new_id("lse")
        leases.append(
            Lease(job.id, job.name, job.payload, job.attempts, job.max_attempts, job.lease_token)
        )
    return leases


def renew(session: Session, lease: Lease, *, until: datetime) -> bool:
    """Extend a running job's lease; False when it is no longer ours."""
    done = session.execute(
        update(QueuedJob)
        .where(QueuedJob.id == lease.job_id, QueuedJob.lease_token == lease.token)
        .values(leased_until=until)
    )
    return rows_changed(done) == 1


def succeed(session: Session, lease: Lease, *, now: datetime) -> bool:
    """The job is done; False when its lease was lost meanwhile (another worker has it)."""
    return _settle(session, lease, status=DONE, now=now)


def fail(
    session: Session,
    lease: Lease,
    *,
    now: datetime,
    error: str,
    limit: int,
    backoff: timedelta,
    final: bool = False,
) -> bool:
    """Retry after a backoff, or make the job dead after `limit` attempts (or when `final`)."""
    if final or lease.attempts >= limit:
        return _settle(session, lease, status=DEAD, now=now, error=error)
    run_after = now + retry_delay(lease.attempts, base=backoff)
    return _settle(session, lease, status=QUEUED, now=now, error=error, run_after=run_after)


def retry_delay(attempts: int, *, base: timedelta) -> timedelta:
    """The wait after failed attempt number `attempts`: doubling, capped, with 0-20% jitter."""
    delay: timedelta = min(base * 2 ** (attempts - 1), MAX_BACKOFF)
    return delay * (1 + random.random() * 0.2)  # noqa: S311 (spreading load, not a secret)


def _settle(
    session: Session,
    lease: Lease,
    *,
    status: str,
    now: datetime,
    error: str | None = None,
    run_after: datetime | None = None,
) -> bool:
    values: dict[str, Any] = {
        "status": status,
        "leased_until": None,
        "lease_token": None,
        "time_updated": now,
    }
    if error is not None:
        values["last_error"] = error[:ERROR_LENGTH]
    if run_after is not None:
        values["run_after"] = run_after
    done = session.execute(
        update(QueuedJob)
        .where(QueuedJob.id == lease.job_id, QueuedJob.lease_token == lease.token)
        .values(**values)
    )
    return rows_changed(done) == 1
