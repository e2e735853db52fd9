"""Storing published prices: idempotent upserts that count corrections.

The same answer stored twice changes nothing; a value that differs from the stored one (a
corrected publication) updates the row and adds one to its revision. Rows are compared at the
stored precision (5 decimals), so a feed's extra digits never look like a correction.

When an upsert changes anything, it gives the source a new version token (market/cache.py
drops what it kept of the source) and the hooks registered with `on_prices_changed` run, all in
the same transaction (locations tell apps to fetch prices again; see
locations/market_updates.py). This is the one way prices are written: rows written around it
stay unseen by processes that cached the source's days.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.market.models import MarketPrice, MarketSourceVersion

STEP = Decimal("0.00001")
PricesChanged = Callable[[Session, str], object]  # (session, source_id)
_hooks: list[PricesChanged] = []


def on_prices_changed(hook: PricesChanged) -> None:
    """Call `hook(session, source_id)` after each upsert that changed a source's prices."""
    if hook not in _hooks:
        _hooks.append(hook)


@dataclass(frozen=True, slots=True)
class Row:
    """A price ready to store, in the source's currency per kWh."""

    start: datetime
    minutes: int
    price: Decimal
    fx_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0

    def __add__(self, other: Stored) -> Stored:
        return Stored(
            self.inserted + other.inserted,
            self.revised + other.revised,
            self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> bool:
        return self.inserted + self.revised > 0


def rounded(value: Decimal) -> Decimal:
    return value.quantize(STEP, rounding=ROUND_HALF_EVEN)


def upsert(
    session: Session, *, source_id: str, rows: Sequence[Row], feed: str, now: datetime
) -> Stored:
    """Store `rows` of one source in the caller's transaction; say what changed."""
    if not rows:
        return Stored()
    first, last = min(r.start for r in rows), max(r.start for r in rows)
    existing = {
        as_utc(start): (as_utc(end), Decimal(price))
        for start, end, price in session.execute(
            select(MarketPrice.start, MarketPrice.end, MarketPrice.price).where(
                MarketPrice.source_id == source_id,
                MarketPrice.start >= first,
                MarketPrice.start <= last,
            )
        )
    }
    fresh, inserted, revised, unchanged = [], 0, 0, 0
    for row in rows:
        end, price = row.start + timedelta(minutes=row.minutes), rounded(row.price)
        known = existing.get(row.start)
        if known is None:
            fresh.append(
                {
                    "source_id": source_id,
                    "start": row.start,
                    "end": end,
                    "price": price,
                    "feed": feed,
                    "fx_rate": row.fx_rate,
                    "published_at": now,
                    "revision": 0,
                }
            )
            inserted += 1
        elif known != (end, price):
            session.execute(
                update(MarketPrice)
                .where(MarketPrice.source_id == source_id, MarketPrice.start == row.start)
                .values(
                    end=end,
                    price=price,
                    feed=feed,
                    fx_rate=row.fx_rate,
                    published_at=now,
                    revision=MarketPrice.revision + 1,
                )
            )
            revised += 1
        else:
            unchanged += 1
    if fresh:
        session.execute(insert(MarketPrice), fresh)
    if fresh or revised:
        last_end = max(row.start + timedelta(minutes=row.minutes) for row in rows)
        _new_version(session, source_id, last_end)
        for hook in _hooks:
            hook(session, source_id)
    return Stored(inserted, revised, unchanged)


@dataclass(frozen=True, slots=True)
class Version:
    token: str
    published_until: datetime


def versions(session: Session, source_ids: Iterable[str]) -> dict[str, Version]:
    """The current version of each source that has stored prices (one indexed read)."""
    wanted = sorted(set(source_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(
            MarketSourceVersion.source_id,
            MarketSourceVersion.token,
            MarketSourceVersion.published_until,
        ).where(MarketSourceVersion.source_id.in_(wanted))
    )
    return {source_id: Version(token, as_utc(until)) for source_id, token, until in rows}


def _new_version(session: Session, source_id: str, last_end: datetime) -> None:
    """A fresh token for the source, and its horizon moved out to `last_end` if later; one
    statement, so concurrent writers of a new source cannot both insert."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = MarketSourceVersion.__table__
    statement = dialect.insert(table).values(
        source_id=source_id, token=uuid.uuid4().hex, published_until=last_end
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.source_id],
        set_={
            "token": statement.excluded.token,
            "published_until": case(
                (
                    table.c.published_until < statement.excluded.published_until,
                    statement.excluded.published_until,
                ),
                else_=table.c.published_until,
            ),
        },
    )
    session.execute(statement)


def last_published(session: Session, *, source_id: str) -> tuple[datetime, datetime, str] | None:
    """The latest stored interval of a source (start, end, feed), or None."""
    row = session.execute(
        select(MarketPrice.start, MarketPrice.end, MarketPrice.feed)
        .where(MarketPrice.source_id == source_id)
        .order_by(MarketPrice.start.desc())
        .limit(1)
    ).first()
    return None if row is None else (as_utc(row[0]), as_utc(row[1]), row[2] or "")
