"""The expiry scan: `tariff.expiring` 14 days before a contract ends, `tariff.expired` when it
has ended; each once per tariff. Run periodically by the delivery worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, text
from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc
from tariffconnect.events import service as events
from tariffconnect.events.models import Event
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED, Tariff

NOTICE = timedelta(days=14)
EXPIRING, EXPIRED = "tariff.expiring", "tariff.expired"
_SCAN_LOCK = 7_242_002


def scan(session: Session, *, now: datetime) -> int:
    """Record the expiry events that are due and not yet recorded; return how many."""
    if session.get_bind().dialect.name == "postgresql":
        # Several workers may scan at once: one does, the others skip this round. (On SQLite
        # the scan's write transaction already runs alone.)
        locked = session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _SCAN_LOCK})
        if not locked.scalar():
            return 0
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
        for tariff in due:
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
