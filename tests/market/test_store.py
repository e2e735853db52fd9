"""Idempotent upserts of published prices: the same answer twice, a correction, extra digits."""

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from tariffconnect.market import store
from tariffconnect.market.models import MarketPrice

START = datetime(2026, 6, 1, 22, tzinfo=UTC)


def source_id():
    return f"mrs_{secrets.token_hex(12)}"


def rows(*values, minutes=15, rate=None):
    step = timedelta(minutes=minutes)
    return [store.Row(START + n * step, minutes, Decimal(v), rate) for n, v in enumerate(values)]


def stored(database, sid):
    with database.transaction(write=False) as session:
        found = session.scalars(
            select(MarketPrice).where(MarketPrice.source_id == sid).order_by(MarketPrice.start)
        ).all()
        return [(m.price, m.revision, m.feed, m.fx_rate) for m in found]


def upsert(database, sid, batch, feed="ENTSOE"):
    with database.transaction() as session:
        return store.upsert(session, source_id=sid, rows=batch, feed=feed, now=START)


def test_the_same_answer_twice_changes_nothing(database):
    sid = source_id()
    assert upsert(database, sid, rows("0.1", "0.2")) == store.Stored(inserted=2)
    assert upsert(database, sid, rows("0.1", "0.2")) == store.Stored(unchanged=2)
    assert stored(database, sid) == [
        (Decimal("0.10000"), 0, "ENTSOE", None),
        (Decimal("0.20000"), 0, "ENTSOE", None),
    ]


def test_a_correction_updates_the_row_and_counts_a_revision(database):
    sid = source_id()
    upsert(database, sid, rows("0.1", "0.2"))
    result = upsert(database, sid, rows("0.1", "0.25", "0.3"), feed="ENERGY_CHARTS")
    assert result == store.Stored(inserted=1, revised=1, unchanged=1)
    assert stored(database, sid) == [
        (Decimal("0.10000"), 0, "ENTSOE", None),
        (Decimal("0.25000"), 1, "ENERGY_CHARTS", None),
        (Decimal("0.30000"), 0, "ENERGY_CHARTS", None),
    ]


def test_prices_are_kept_at_five_decimals_and_more_digits_are_no_correction(database):
    sid = source_id()
    upsert(database, sid, rows("0.123454", "-0.0000049"))
    assert upsert(database, sid, rows("0.1234541", "-0.000004")) == store.Stored(unchanged=2)
    assert [price for price, *_ in stored(database, sid)] == [
        Decimal("0.12345"),
        Decimal("0.00000"),
    ]


def test_the_rate_used_is_stored_with_the_price(database):
    sid = source_id()
    upsert(database, sid, rows("1.14665", rate=Decimal("11.4665")))
    assert stored(database, sid) == [(Decimal("1.14665"), 0, "ENTSOE", Decimal("11.46650000"))]


def test_last_published_is_the_latest_interval(database):
    sid = source_id()
    with database.transaction(write=False) as session:
        assert store.last_published(session, source_id=sid) is None
    upsert(database, sid, rows("0.1", "0.2", minutes=30))
    with database.transaction(write=False) as session:
        latest = store.last_published(session, source_id=sid)
    assert latest == (START + timedelta(minutes=30), START + timedelta(minutes=60), "ENTSOE")
