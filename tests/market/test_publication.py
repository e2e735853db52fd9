"""When a source's next day is expected: the publication time on its last stored day, or the
day-ahead task's next retry once that time has passed without the day."""

from datetime import UTC, datetime, timedelta

import pytest

from tariffconnect.market import sources
from tariffconnect.market.publication import next_publication


def source(slug: str) -> sources.MarketSource:
    found = sources.find(slug)
    assert found is not None
    return found


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("slug", "now", "published_until", "expected"),
    [
        # SDAC, winter (CET): today (1 Dec) stored, tomorrow due at 12:45 Brussels = 11:45Z.
        ("de-lu", "2026-12-01T08:00Z", "2026-12-01T23:00Z", "2026-12-01T11:45Z"),
        # Tomorrow stored already: the next is tomorrow's publication, of the day after.
        ("de-lu", "2026-12-01T13:00Z", "2026-12-02T23:00Z", "2026-12-02T11:45Z"),
        # Summer (CEST): 12:45 Brussels = 10:45Z.
        ("fi", "2026-06-10T06:00Z", "2026-06-10T22:00Z", "2026-06-10T10:45Z"),
        # The last stored day is the 25-hour day of the change back to CET.
        ("de-lu", "2026-10-25T09:00Z", "2026-10-25T23:00Z", "2026-10-25T11:45Z"),
        # Agile: days run to 23:00 London; out at 16:00 London (GMT in winter, BST in summer).
        ("gb-london", "2026-12-01T09:00Z", "2026-12-01T23:00Z", "2026-12-01T16:00Z"),
        ("gb-london", "2026-12-01T17:00Z", "2026-12-02T23:00Z", "2026-12-02T16:00Z"),
        ("gb-london", "2026-07-01T09:00Z", "2026-07-01T22:00Z", "2026-07-01T15:00Z"),
    ],
)
def test_the_next_publication_is_on_the_last_stored_day(slug, now, published_until, expected):
    found = next_publication(source(slug), now=utc(now), published_until=utc(published_until))
    assert found.astimezone(UTC) == utc(expected)


@pytest.mark.parametrize("published_until", [None, "2026-12-01T23:00Z", "2026-11-20T23:00Z"])
def test_overdue_or_nothing_stored_is_the_next_retry(published_until):
    # 14:00 Brussels on 1 Dec, with tomorrow not in (or nothing at all): ask again soon.
    now = utc("2026-12-01T13:00Z")
    until = None if published_until is None else utc(published_until)
    retry = now + timedelta(minutes=15)
    assert next_publication(source("de-lu"), now=now, published_until=until) == retry
