"""The integrations room's periodic work: refresh DIRECT tariffs, purge credentials never
consented, and announce connection upgrades."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update

from tariffconnect.integrations import credentials, pull, upgrades
from tariffconnect.integrations.models import DirectConnection
from tariffconnect.integrations.octopus.library_sync import sync_task as octopus_library_sync
from tariffconnect.jobs import DailyAt, Every, PeriodicTask, TaskContext
from tariffconnect.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 500  # connections claimed per round
ROUNDS = 20  # rounds per run at most: what is left waits for the next minute
PULLERS = 8  # pulls at once, so that a slow module does not hold the others
CLAIM = pull.CLAIM  # how long a claim holds off every other claimer


def claim_due(runtime: Runtime, *, now: datetime, limit: int = BATCH) -> list[str]:
    """Ids of due connections, claimed by this caller alone.

    A claim is a conditional UPDATE (still due and unclaimed?) in its own short transaction.
    It works alike on SQLite and PostgreSQL and holds no lock while the pulls run: on
    PostgreSQL a second claimer waits for the first's row locks, re-reads the condition, and
    skips the rows."""
    with runtime.db.transaction() as session:
        ids = pull.due(session, now=now, limit=limit)
        if not ids:
            return []
        claimed = session.scalars(
            update(DirectConnection)
            .where(
                DirectConnection.id.in_(ids),
                DirectConnection.next_refresh_at <= now,
                pull.unclaimed(now),
            )
            .values(claimed_until=now + CLAIM)
            .returning(DirectConnection.id)
        )
        return sorted(claimed)


def claim_location(runtime: Runtime, *, location_id: str, now: datetime) -> list[str]:
    """Every connection of one location, due or not (the operator asked for it now), except
    those a pull in progress has claimed: never two pulls of one connection at once."""
    with runtime.db.transaction() as session:
        claimed = session.scalars(
            update(DirectConnection)
            .where(DirectConnection.location_id == location_id, pull.unclaimed(now))
            .values(claimed_until=now + CLAIM)
            .returning(DirectConnection.id)
        )
        return sorted(claimed)


def pull_all(runtime: Runtime, ids: Sequence[str], *, now: datetime) -> Counter[str]:
    """Pull each connection (several at once); counts by outcome."""
    outcomes: Counter[str] = Counter()
    for connection_id, result in pull.pull_many(runtime, ids, now=now, pullers=PULLERS).items():
        if isinstance(result, Exception):
            # Only the type: a message might quote what a module or adapter was sent.
            log.error("pull of %s failed: %s", connection_id, type(result).__name__)
            outcomes["crashed"] += 1
        elif result.status == pull.DELETED:
            outcomes["deleted"] += 1
        elif result.reason is not None:
            outcomes["failed"] += 1
        else:
            outcomes["changed" if result.changed else result.status.lower()] += 1
    return outcomes


def summary(outcomes: Counter[str]) -> str:
    """`12 pulled (changed 2, connected 9, failed 1)`, for `jobs status` and the CLI."""
    total = sum(outcomes.values())
    if not total:
        return "0 pulled"
    parts = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
    return f"{total} pulled ({parts})"


def refresh(context: TaskContext) -> str:
    """Pull the due DIRECT connections."""
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        ids = claim_due(context.runtime, now=context.now)
        if not ids:
            break
        outcomes += pull_all(context.runtime, ids, now=context.now)
        if len(ids) < BATCH:
            break
    return summary(outcomes)


def purge_unconsented(context: TaskContext) -> str:
    """Delete credentials whose consent never came within `direct_unconsented_days`."""
    days = context.runtime.settings.direct_unconsented_days
    with context.runtime.db.transaction() as session:
        deleted = credentials.purge_unconsented(
            session, now=context.now, older_than=timedelta(days=days)
        )
    return f"{deleted} unconsented credentials deleted"


def upgrade_scan(context: TaskContext) -> str:
    """Record `tariff.connection.upgrade` for locations whose provider gained a DIRECT route."""
    with context.runtime.db.transaction() as session:
        recorded = upgrades.scan(session, now=context.now)
    return f"{recorded} upgrade events recorded"


TASKS = [
    PeriodicTask(
        name="integrations.refresh",
        schedule=Every(timedelta(minutes=1)),
        run=refresh,
        jitter=timedelta(seconds=5),
        lease=timedelta(minutes=15),
    ),
    PeriodicTask(
        name="integrations.purge_unconsented",
        schedule=DailyAt(("04:10",), zone="UTC"),
        run=purge_unconsented,
    ),
    PeriodicTask(
        name="integrations.upgrade_scan",
        schedule=Every(timedelta(hours=1)),
        run=upgrade_scan,
        jitter=timedelta(minutes=1),
    ),
    PeriodicTask(
        name="integrations.octopus_library_sync",
        schedule=Every(timedelta(days=7)),
        run=octopus_library_sync,
        jitter=timedelta(hours=1),
        lease=timedelta(minutes=30),
    ),
]
