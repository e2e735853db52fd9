"""The expiry scan: `tariff.expiring` 14 days before a contract ends, `tariff.expired` when it
has ended; each once per tariff. Run every minute by the job runner (tariffs/tasks.py), whose
lease lets one worker scan at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc
from tariffconnect.events import service as events
from tariffconnect.events.models import Event
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED, Tariff

NOTICE = timedelta(days=14)
EXPIRING, EXPIRED = "tariff.expiring", "tariff.expired"
Track = Callable[[Sequence[Tariff], str], Iterable[Tariff]]


def scan(session: Session, *, now: datetime, track: Track | None = None) -> int:
    """Record the expiry events that are due and not yet recorded; return how many.

    `track` wraps each iteration over the due tariffs (a progress bar on the command line).
    """
    recorded = 0
    for event_type, horizon in ((EXPIRED, now), (EXPIRING, now + NOTICE)):
        already = exists().where(
            and_(
                Event.account_id == Tariff.account_id,
                Event.live_mode == Tariff.live_mode,
                Event.object_id == Tariff.id,
                Event.type == event_type,
            )
        )
        due = session.scalars(
            select(Tariff).where(
                Tariff.status == CONNECTED,
                Tariff.contract_end_date.is_not(None),
                Tariff.contract_end_date <= horizon,
                ~already,
            )
        ).all()
        for tariff in track(due, event_type) if track else due:
            if event_type == EXPIRING and as_utc(tariff.contract_end_date) <= now:  # type: ignore[arg-type]
                continue  # it ended before we noticed: `tariff.expired` says enough
            scope = Scope(account_id=tariff.account_id, live_mode=tariff.live_mode)
            events.record(
                session,
                scope=scope,
                type=event_type,
                object_id=tariff.id,
                data=tariffs.render(tariff),
            )
            recorded += 1
    return recorded
