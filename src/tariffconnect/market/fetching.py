"""Which days each source still needs, and fetching them for many sources: what the periodic
tasks and `tariffconnect market fetch` share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.market import ingest, store
from tariffconnect.market.feeds.catalog import open_feeds
from tariffconnect.market.publication import PUBLISHED
from tariffconnect.market.sources import MarketSource

BACK_CHECK_DAYS = 7

Track = Callable[[Sequence[MarketSource], str], Iterable[MarketSource]]


def days_needed(db: Database, source: MarketSource, *, now: datetime) -> tuple[date, date] | None:
    """The local days (first, last) to ask for now: today if it is not stored in full, and
    tomorrow once its publication time has passed; None when all of that is stored."""
    zone = ingest.delivery_zone(source)
    local = now.astimezone(zone)
    today = local.date()
    published = local.time() >= PUBLISHED[zone.key]
    last = today + timedelta(days=1) if published else today
    with db.transaction(write=False) as session:
        latest = store.last_published(session, source_id=source.id)
    _, through = ingest.window(source, first=today, last=last)
    if latest is not None and latest[1] >= through:
        return None
    return today, last


def fetch_many(
    settings: Settings,
    db: Database,
    plan: Sequence[tuple[MarketSource, date, date]],
    *,
    now: datetime,
    track: Track | None = None,
) -> list[ingest.Outcome]:
    """Fetch each (source, first, last) of `plan`, on one set of open feeds."""
    outcomes = []
    by_source = {source.id: (first, last) for source, first, last in plan}
    sources = [source for source, _, _ in plan]
    with open_feeds(settings) as opened:
        for source in track(sources, "market sources") if track else sources:
            first, last = by_source[source.id]
            outcomes.append(
                ingest.fetch_source(
                    db,
                    source,
                    first=first,
                    last=last,
                    feeds=opened.feeds,
                    rates=opened.rates,
                    now=now,
                )
            )
    return outcomes


def summary(outcomes: Sequence[ingest.Outcome]) -> str:
    """One line for `jobs status`: how many sources and rows, and which failed."""
    stored = sum((o.stored for o in outcomes), store.Stored())
    failed = [o.source.slug for o in outcomes if o.failed]
    line = (
        f"{len(outcomes)} sources: {stored.inserted} new, {stored.revised} revised, "
        f"{stored.unchanged} unchanged"
    )
    return line + (f"; failed: {', '.join(failed)}" if failed else "")
