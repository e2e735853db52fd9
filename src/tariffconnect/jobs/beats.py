"""Workers' heartbeats: each worker writes its row every poll, so GET /health/worker can tell
whether one has run lately (within twice its poll interval)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.db.database import rows_changed
from tariffconnect.jobs.models import WorkerBeat

FORGET_AFTER = timedelta(days=1)  # a worker silent this long is gone; its row is removed


def beat(
    session: Session, *, worker_id: str, poll_seconds: float, started: datetime, now: datetime
) -> None:
    """Record that this worker is alive now (its row is made on the first beat)."""
    touched = session.execute(
        update(WorkerBeat).where(WorkerBeat.id == worker_id).values(last_seen=now)
    )
    if rows_changed(touched) == 0:
        session.add(
            WorkerBeat(
                id=worker_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                poll_seconds=poll_seconds,
                time_started=started,
                last_seen=now,
            )
        )


def forget(session: Session, *, worker_id: str) -> None:
    """A worker that stops cleanly removes its row."""
    session.execute(delete(WorkerBeat).where(WorkerBeat.id == worker_id))


def alive(session: Session, *, now: datetime) -> list[WorkerBeat]:
    """The workers seen within twice their own poll interval, most recent first."""
    rows = session.scalars(select(WorkerBeat).order_by(WorkerBeat.last_seen.desc())).all()
    return [
        row
        for row in rows
        if now - as_utc(row.last_seen) <= timedelta(seconds=2 * row.poll_seconds)
    ]


def forget_silent(session: Session, *, now: datetime) -> int:
    """Remove the rows of workers silent for FORGET_AFTER; return how many."""
    gone = session.execute(delete(WorkerBeat).where(WorkerBeat.last_seen < now - FORGET_AFTER))
    return int(rows_changed(gone))
