"""Storing published prices: idempotent upserts that count corrections.

The same answer stored twice changes nothing; a value that differs from the stored one (a
corrected publication) updates the row and adds one to its revision. Rows are compared at the
stored precision (5 decimals), so a feed's extra digits never look like a correction.

When an upsert changes anything, the hooks registered with `on_prices_changed` run in the same
transaction (locations tell apps to fetch prices again; see locations/market_updates.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.market.models import MarketPrice

STEP = Decimal("0.00001")
# A source's stored intervals that overlap [start, end), by start: what /prices and
# /market_sources/{id}/prices read (bind source_id, start, end).
WINDOW = (
    select(MarketPrice.start, MarketPrice.end, MarketPrice.price)
    .where(
        MarketPrice.source_id == bindparam("source_id"),
        MarketPrice.start < bindparam("end"),
        MarketPrice.end > bindparam("start"),
    )
    .order_by(MarketPrice.start)
)
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
        for hook in _hooks:
            hook(session, source_id)
    return Stored(inserted, revised, unchanged)


def last_published(session: Session, *, source_id: str) -> tuple[datetime, datetime, str] | None:
    """The latest stored interval of a source (start, end, feed), or None."""
    row = session.execute(
        select(MarketPrice.start, MarketPrice.end, MarketPrice.feed)
        .where(MarketPrice.source_id == source_id)
        .order_by(MarketPrice.start.desc())
        .limit(1)
    ).first()
    return None if row is None else (as_utc(row[0]), as_utc(row[1]), row[2] or "")
