"""Periodic tasks' leases: one row per task says when it is due and who runs it now.

Claiming sets `leased_until` and a fresh `lease_token` on rows that are due and not leased,
in one write transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a
time), so two workers never run a task for the same due time. Finishing is fenced by the
token: a worker whose lease ran out (and whose task another worker took over) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import as_utc
from tariffconnect.db.database import rows_changed
from tariffconnect.jobs.models import ERROR, OK, PeriodicTaskLease
from tariffconnect.jobs.registry import PeriodicTask
from tariffconnect.jobs.schedule import with_jitter

RESULT_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Claim:
    """A task this worker may run now, until `leased_until` (renewable with `renew`)."""

    task: PeriodicTask
    token: str
    due_at: datetime
    leased_until: datetime


def ensure_rows(session: Session, tasks: Iterable[PeriodicTask], *, now: datetime) -> None:
    """Give every declared task its lease row (first due per its schedule); keep existing ones.

    Several workers start at once: the insert ignores a row another worker just made.
    """
    rows = [
        {
            "name": task.name,
            "due_at": with_jitter(task.schedule.first_due(now), task.jitter),
            "runs": 0,
        }
        for task in tasks
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(PeriodicTaskLease).values(rows).on_conflict_do_nothing())


def claim_due(
    session: Session,
    tasks: Sequence[PeriodicTask],
    *,
    worker_id: str,
    now: datetime,
    limit: int,
) -> list[Claim]:
    """Lease up to `limit` of `tasks` that are due and free, earliest due first."""
    if limit <= 0 or not tasks:
        return []
    by_name = {task.name: task for task in tasks}
    rows = session.scalars(
        select(PeriodicTaskLease)
        .where(
            PeriodicTaskLease.name.in_(by_name),
            PeriodicTaskLease.due_at <= now,
            _free(now),
        )
        .order_by(PeriodicTaskLease.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return [_lease(row, by_name[row.name], worker_id=worker_id, now=now) for row in rows]


def claim_now(
    session: Session, task: PeriodicTask, *, worker_id: str, now: datetime
) -> Claim | PeriodicTaskLease:
    """Lease `task` whether due or not (`tariffconnect jobs run`): the claim, or the row of the
    lease another worker holds."""
    ensure_rows(session, [task], now=now)
    row = session.scalars(
        select(PeriodicTaskLease).where(PeriodicTaskLease.name == task.name).with_for_update()
    ).one()
    if row.leased_until is not None and as_utc(row.leased_until) > now:
        return row
    return _lease(row, task, worker_id=worker_id, now=now)


def renew(session: Session, claim: Claim, *, now: datetime) -> Claim | None:
    """Extend a running task's lease; None when the lease is no longer ours."""
    leased_until = now + claim.task.lease
    done = session.execute(
        update(PeriodicTaskLease)
        .where(PeriodicTaskLease.name == claim.task.name)
        .where(PeriodicTaskLease.lease_token == claim.token)
        .values(leased_until=leased_until)
    )
    if rows_changed(done) != 1:
        return None
    return Claim(claim.task, claim.token, claim.due_at, leased_until)


def finish(
    session: Session, claim: Claim, *, now: datetime, result: str | None, failed: bool
) -> bool:
    """Record how the run went and when the task is due next; False if the lease was lost."""
    task = claim.task
    done = session.execute(
        update(PeriodicTaskLease)
        .where(PeriodicTaskLease.name == task.name)
        .where(PeriodicTaskLease.lease_token == claim.token)
        .values(
            due_at=with_jitter(task.schedule.next_after(now), task.jitter),
            leased_until=None,
            lease_token=None,
            leased_by=None,
            runs=PeriodicTaskLease.runs + 1,
            last_finished_at=now,
            last_status=ERROR if failed else OK,
            last_result=None if result is None else result[:RESULT_LENGTH],
        )
    )
    return rows_changed(done) == 1


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(PeriodicTaskLease.leased_until.is_(None), PeriodicTaskLease.leased_until <= now)


def _lease(row: PeriodicTaskLease, task: PeriodicTask, *, worker_id: str, now: datetime) -> Claim:
    row.leased_until = now + task.lease
    row.lease_token = new_id("lse")
    row.leased_by = worker_id
    row.last_started_at = now
    return Claim(task, row.lease_token, as_utc(row.due_at), row.leased_until)
