"""The per-process cache of published days: what it answers, when it asks the database, and
how a new version token (every `store.upsert` that changes something) makes it read again."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event

from tariffconnect.market import store
from tariffconnect.market.cache import PublishedDays, published_days
from tests.market.stored import publish

# Fake source ids of their own: the market tables are shared by the whole test session.
SOURCE = "mrs_" + "c3" * 12
OTHER = "mrs_" + "d4" * 12
START = datetime(2034, 3, 1, 22, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


@contextmanager
def counting(database):
    """Count the statements that read market prices while the block runs."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if "FROM market_prices" in statement:
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", before)


def read(database, cache, source_id, start, end):
    with database.transaction(write=False) as session:
        token = store.versions(session, [source_id]).get(source_id)
        return cache.window(
            session.connection(),
            source_id,
            None if token is None else token.token,
            start=start,
            end=end,
        )


def test_a_window_is_read_once_and_then_answered_from_memory(database):
    publish(database, SOURCE, START, ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"])
    cache = PublishedDays()
    # Across UTC midnight, starting inside an interval: overlapping intervals are returned.
    start, end = START + timedelta(minutes=20), START + timedelta(hours=1, minutes=50)
    expected = [
        (START + QUARTER * n, START + QUARTER * (n + 1), Decimal(f"0.{n + 1}")) for n in range(1, 8)
    ]
    with counting(database) as seen:
        assert read(database, cache, SOURCE, start, end) == expected
        assert read(database, cache, SOURCE, start, end) == expected
        # Part of the same days: from memory as well.
        assert read(database, cache, SOURCE, START, START + QUARTER) == [
            (START, START + QUARTER, Decimal("0.1"))
        ]
    assert len(seen) == 1


def test_a_correction_gives_a_new_token_and_the_days_are_read_again(database):
    start = START + timedelta(days=10)
    publish(database, SOURCE, start, ["0.1", "0.2"])
    cache = PublishedDays()
    window = (start, start + 2 * QUARTER)
    assert [p for _, _, p in read(database, cache, SOURCE, *window)] == [
        Decimal("0.1"),
        Decimal("0.2"),
    ]
    publish(database, SOURCE, start, ["0.1", "0.25"])  # a corrected publication
    with counting(database) as seen:
        assert [p for _, _, p in read(database, cache, SOURCE, *window)] == [
            Decimal("0.1"),
            Decimal("0.25"),
        ]
    assert len(seen) == 1
    # The same answer again changes nothing: the token stays, memory answers.
    publish(database, SOURCE, start, ["0.1", "0.25"])
    with counting(database) as seen:
        read(database, cache, SOURCE, *window)
    assert seen == []


def test_days_without_prices_are_kept_until_prices_arrive(database):
    start = START + timedelta(days=20)
    publish(database, OTHER, start, ["0.5"])
    cache = PublishedDays()
    later = (start + timedelta(days=2), start + timedelta(days=3))
    assert read(database, cache, OTHER, *later) == []
    with counting(database) as seen:
        assert read(database, cache, OTHER, *later) == []
    assert seen == []
    publish(database, OTHER, later[0], ["0.7"])
    assert read(database, cache, OTHER, *later) == [(later[0], later[0] + QUARTER, Decimal("0.7"))]


def test_a_source_never_stored_reads_nothing(database):
    cache = PublishedDays()
    with counting(database) as seen:
        assert read(database, cache, "mrs_" + "e5" * 12, START, START + QUARTER) == []
    assert seen == []


def test_the_oldest_days_go_first_when_full(database):
    start = START + timedelta(days=30)
    publish(database, SOURCE, start, ["0.1"] * 96 * 3)  # 22:00 on day 1 to 22:00 on day 4
    cache = PublishedDays(max_days=1)  # each window below lies in one UTC day
    read(database, cache, SOURCE, start + timedelta(hours=3), start + timedelta(hours=4))
    read(database, cache, SOURCE, start + timedelta(hours=27), start + timedelta(hours=28))
    with counting(database) as seen:
        # The second window's day is still there; the first one's was pushed out.
        read(database, cache, SOURCE, start + timedelta(hours=27), start + timedelta(hours=28))
        assert seen == []
        read(database, cache, SOURCE, start + timedelta(hours=3), start + timedelta(hours=4))
        assert len(seen) == 1


def test_each_database_has_its_own_cache(database):
    with database.transaction(write=False) as session:
        one = published_days(session.connection())
    with database.transaction(write=False) as session:
        assert published_days(session.connection()) is one
