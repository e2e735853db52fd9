"""Fetching a source's prices: its feeds in priority order, each day checked, converted to the
source's currency, stored.

For each source the feeds listed in data/market_sources.json are tried in order. A feed that
fails (FeedError), serves nothing, or whose days are rejected (market/validation.py) leaves
those days to the next feed; a day one feed supplied is never overwritten by a later one in the
same fetch. Day-ahead auction feeds must fill whole delivery days; a retail series such as
Agile (23:00 to 23:00 London time) need not. What went wrong is kept per source, for
`tariffconnect market status`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tariffconnect.db import Database
from tariffconnect.market import store, validation
from tariffconnect.market.feeds.base import Feed, FeedError, PricePoint
from tariffconnect.market.models import MarketSourceState
from tariffconnect.market.sources import MarketSource

log = logging.getLogger("tariffconnect.market")
SDAC_DAY = ZoneInfo("Europe/Brussels")  # the single day-ahead coupling's delivery days
GB_DAY = ZoneInfo("Europe/London")
WHOLE_DAY_FEEDS = frozenset({"ENTSOE", "ENERGY_CHARTS"})
UTC = ZoneInfo("UTC")


class Rates(Protocol):
    """Exchange rates: units of `currency` per 1 EUR for each day from first to last."""

    def rates(self, currency: str, *, first: date, last: date) -> dict[date, Decimal]: ...


@dataclass(slots=True)
class Outcome:
    """What one fetch of one source did."""

    source: MarketSource
    feed: str | None = None  # the first feed that supplied prices
    stored: store.Stored = field(default_factory=store.Stored)
    problems: list[str] = field(default_factory=list)
    missing: list[date] = field(default_factory=list)  # days no feed had

    @property
    def failed(self) -> bool:
        """Nothing stored, and a feed failed or was refused (not merely: not published yet)."""
        return self.feed is None and bool(self.problems)


def delivery_zone(source: MarketSource) -> ZoneInfo:
    return GB_DAY if source.country_code == "GB" else SDAC_DAY


def window(source: MarketSource, *, first: date, last: date) -> tuple[datetime, datetime]:
    """From local midnight of `first` to local midnight after `last`, in UTC."""
    zone = delivery_zone(source)
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def fetch_source(
    db: Database,
    source: MarketSource,
    *,
    first: date,
    last: date,
    feeds: Mapping[str, Feed],
    rates: Rates,
    now: datetime,
) -> Outcome:
    """Fetch and store `source`'s prices for the local days first..last."""
    outcome = Outcome(source)
    zone = delivery_zone(source)
    start, end = window(source, first=first, last=last)
    wanted = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    covered: set[date] = set()
    for name in source.feeds:
        if wanted <= covered:
            break
        feed = feeds.get(name)
        if feed is None or not feed.covers(source):
            outcome.problems.append(f"{name}: does not serve {source.slug}")
            continue
        try:
            points = [p for p in feed.fetch(source, start=start, end=end) if start <= p.start < end]
            checked = validation.check(points, zone=zone, whole_days=name in WHOLE_DAY_FEEDS)
            for reason in checked.rejected.values():
                log.warning("market %s: %s: day rejected: %s", source.slug, name, reason)
                outcome.problems.append(f"{name}: {reason}")
            days = {day: got for day, got in checked.days.items() if day not in covered}
            rows = _in_currency(source, days, rates)
        except FeedError as error:
            log.warning("market %s: %s", source.slug, error)
            outcome.problems.append(str(error))
            continue
        if not rows:
            continue
        with db.transaction() as session:
            stored = store.upsert(session, source_id=source.id, rows=rows, feed=name, now=now)
        outcome.stored += stored
        outcome.feed = outcome.feed or name
        covered |= days.keys()
    outcome.missing = sorted(wanted - covered)
    with db.transaction() as session:
        _record(session, outcome, now=now)
    return outcome


def _in_currency(
    source: MarketSource, days: Mapping[date, list[PricePoint]], rates: Rates
) -> list[store.Row]:
    """The points as rows in the source's currency: EUR-cleared prices at the day's ECB rate."""
    if not days:
        return []
    foreign = {p.currency for got in days.values() for p in got} - {source.currency_code}
    if foreign - {"EUR"}:
        raise FeedError(f"cannot convert {sorted(foreign)} to {source.currency_code}")
    by_day = rates.rates(source.currency_code, first=min(days), last=max(days)) if foreign else {}
    rows = []
    for day, got in sorted(days.items()):
        for point in got:
            if point.currency == source.currency_code:
                rows.append(store.Row(point.start, point.minutes, point.value))
            else:
                rate = by_day[day]
                rows.append(store.Row(point.start, point.minutes, point.value * rate, rate))
    return rows


def _record(session: Session, outcome: Outcome, *, now: datetime) -> None:
    state = session.get(MarketSourceState, outcome.source.id)
    problems = list(outcome.problems)
    if outcome.missing and outcome.feed is None:
        problems.append(f"no prices for {outcome.missing[0]}..{outcome.missing[-1]}")
    error = "; ".join(problems) or None
    if state is None:
        session.add(
            MarketSourceState(
                source_id=outcome.source.id, checked_at=now, feed=outcome.feed, error=error
            )
        )
    else:
        state.checked_at, state.error = now, error
        state.feed = outcome.feed or state.feed
