"""Which days a source still needs: today until it is stored, tomorrow once published."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.market import fetching, ingest, sources, store
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import fresh_database_url

GB = sources.find("gb-southern-wales")
SE4 = sources.find("se4")


@pytest.fixture
def database(tmp_path):
    """A database of these tests' own: what they assert is the source's newest stored price,
    which any other test storing a later day of the same source would move."""
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        db = Database(url)
        upgrade(db.engine)
        yield db
        db.dispose()


def fill(database, source, first, last, minutes):
    start, end = ingest.window(source, first=first, last=last)
    step = timedelta(minutes=minutes)
    count = int((end - start) / step)
    rows = [store.Row(start + n * step, minutes, Decimal("0.1")) for n in range(count)]
    with database.transaction() as session:
        store.upsert(session, source_id=source.id, rows=rows, feed="TEST", now=start)


def test_before_publication_only_today_and_after_it_tomorrow_too(database):
    # 11:00 UTC is 12:00 in Brussels (CET).
    morning = datetime(2034, 1, 10, 11, 0, tzinfo=UTC)
    afternoon = datetime(2034, 1, 10, 12, 0, tzinfo=UTC)  # 13:00 Brussels, after 12:45
    assert fetching.days_needed(database, SE4, now=morning) == (date(2034, 1, 10),) * 2
    assert fetching.days_needed(database, SE4, now=afternoon) == (
        date(2034, 1, 10),
        date(2034, 1, 11),
    )
    fill(database, SE4, date(2034, 1, 10), date(2034, 1, 10), 15)
    assert fetching.days_needed(database, SE4, now=morning) is None
    assert fetching.days_needed(database, SE4, now=afternoon) == (
        date(2034, 1, 10),
        date(2034, 1, 11),
    )
    fill(database, SE4, date(2034, 1, 11), date(2034, 1, 11), 15)
    assert fetching.days_needed(database, SE4, now=afternoon) is None


def test_gb_publishes_at_four_in_london(database):
    before = datetime(2034, 7, 10, 14, 59, tzinfo=UTC)  # 15:59 BST
    after = datetime(2034, 7, 10, 15, 0, tzinfo=UTC)  # 16:00 BST
    assert fetching.days_needed(database, GB, now=before) == (date(2034, 7, 10),) * 2
    assert fetching.days_needed(database, GB, now=after) == (date(2034, 7, 10), date(2034, 7, 11))


def test_summary_counts_rows_and_names_failures():
    good = ingest.Outcome(SE4, feed="ENTSOE", stored=store.Stored(96, 1, 3))
    bad = ingest.Outcome(GB, problems=["OCTOPUS: HTTP 500"])
    assert fetching.summary([good, bad]) == (
        "2 sources: 96 new, 1 revised, 3 unchanged; failed: gb-southern-wales"
    )
