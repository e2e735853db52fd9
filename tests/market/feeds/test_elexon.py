"""market/feeds/elexon.py against a local stand-in for Elexon Insights, answering with the
documented market-index shape (fixtures/elexon_*): {"data": [...], "metadata": ...}."""

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tariffconnect.config import Settings
from tariffconnect.market import sources
from tariffconnect.market.feeds.base import FeedError, PricePoint
from tariffconnect.market.feeds.elexon import ElexonFeed, market_index
from tariffconnect.market.feeds.http import new_client
from tests.market.feeds.fixture_server import Answer, serving
from tests.market.feeds.support import FIXTURES

PATH = "/bmrs/api/v1/balancing/pricing/market-index"
# Local midnight to local midnight (Europe/London), in UTC, on the two clock-change days.
OCTOBER_26 = (datetime(2025, 10, 25, 23, 0, tzinfo=UTC), datetime(2025, 10, 27, 0, 0, tzinfo=UTC))
MARCH_30 = (datetime(2025, 3, 30, 0, 0, tzinfo=UTC), datetime(2025, 3, 30, 23, 0, tzinfo=UTC))
EMPTY = Answer(200, b'{"data": [], "metadata": {"datasets": ["MID"]}}')


def fixture(name):
    return Answer(200, (FIXTURES / name).read_bytes())


def rows(name):
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)["data"]


def london():
    return sources.source_for("GB", "London")


@contextmanager
def elexon(*answers):
    """Insights on a local port, giving `answers` in turn (the last one from then on)."""
    pending = list(answers)

    def answer(_asked):
        return pending.pop(0) if len(pending) > 1 else pending[0]

    with serving(answer) as server, new_client(timeout=5) as client:
        settings = Settings(elexon_url=f"{server.url}/bmrs/api/v1")
        yield ElexonFeed(settings, client), server


def asked_for(start, to):
    return {"from": start, "to": to, "dataProviders": "APXMIDP", "format": "json"}


def test_the_autumn_clock_change_day_has_50_periods_of_which_two_without_trades():
    with elexon(fixture("elexon_mid_2025-10-26.json")) as (feed, server):
        points = feed.fetch(london(), start=OCTOBER_26[0], end=OCTOBER_26[1])

    assert len(points) == 48  # 50 settlement periods; 9 and 10 traded nothing
    assert points[0] == PricePoint(OCTOBER_26[0], 30, Decimal("0.06"), "GBP")
    assert points[-1] == PricePoint(
        datetime(2025, 10, 26, 23, 30, tzinfo=UTC), 30, Decimal("0.06819"), "GBP"
    )
    starts = {p.start for p in points}
    assert datetime(2025, 10, 26, 3, 0, tzinfo=UTC) not in starts  # period 9
    assert datetime(2025, 10, 26, 3, 30, tzinfo=UTC) not in starts  # period 10
    assert [p.start for p in points] == sorted(starts)
    assert server.asked[0].path == PATH
    assert server.asked[0].query == asked_for("2025-10-25T23:00:00Z", "2025-10-27T00:00:00Z")


def test_a_negative_price_is_kept_and_a_traded_price_of_zero_too():
    with elexon(fixture("elexon_mid_2025-10-26.json")) as (feed, _server):
        points = feed.fetch(london(), start=OCTOBER_26[0], end=OCTOBER_26[1])
    by_start = {p.start: p.value for p in points}
    assert by_start[datetime(2025, 10, 26, 12, 30, tzinfo=UTC)] == Decimal("-0.01237")  # SP 28
    assert by_start[datetime(2025, 10, 26, 13, 30, tzinfo=UTC)] == Decimal(0)  # SP 30, traded


def test_the_spring_clock_change_day_has_46_periods():
    with elexon(fixture("elexon_mid_2025-03-30.json")) as (feed, _server):
        points = feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])

    assert len(points) == 45  # 46 settlement periods; period 7 traded nothing
    assert points[0] == PricePoint(MARCH_30[0], 30, Decimal("0.06"), "GBP")
    assert points[-1] == PricePoint(
        datetime(2025, 3, 30, 22, 30, tzinfo=UTC), 30, Decimal("0.08895"), "GBP"
    )
    assert datetime(2025, 3, 30, 3, 0, tzinfo=UTC) not in {p.start for p in points}
    assert [p.value for p in points if p.value < 0] == [Decimal("-0.01237")]


def test_the_period_starting_at_to_is_left_out_as_to_is_inclusive():
    end = datetime(2025, 10, 26, 23, 30, tzinfo=UTC)
    with elexon(fixture("elexon_mid_2025-10-26.json")) as (feed, _server):
        points = feed.fetch(london(), start=OCTOBER_26[0], end=end)
    assert len(points) == 47
    assert points[-1].start == datetime(2025, 10, 26, 23, 0, tzinfo=UTC)


def test_a_long_range_is_asked_for_a_week_at_a_time():
    start, end = datetime(2025, 10, 20, tzinfo=UTC), datetime(2025, 10, 28, tzinfo=UTC)
    with elexon(fixture("elexon_mid_2025-10-26.json"), EMPTY) as (feed, server):
        points = feed.fetch(london(), start=start, end=end)
    assert len(points) == 48
    assert [asked.query for asked in server.asked] == [
        asked_for("2025-10-20T00:00:00Z", "2025-10-27T00:00:00Z"),
        asked_for("2025-10-27T00:00:00Z", "2025-10-28T00:00:00Z"),
    ]


def test_nothing_published_is_an_empty_list():
    with elexon(EMPTY) as (feed, _server):
        assert feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1]) == []


def test_an_html_error_page_is_a_feed_error():
    page = Answer(200, b"<html><body>Service Unavailable</body></html>", "text/html")
    with (
        elexon(page) as (feed, _server),
        pytest.raises(FeedError, match=r"^ELEXON: answered text/html, not json$"),
    ):
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])


def test_a_refused_query_is_a_feed_error_asked_once():
    refused = Answer(400, b"", "text/plain")  # as documented: an empty text/plain body
    with elexon(refused) as (feed, server), pytest.raises(FeedError, match=r"^ELEXON: HTTP 400$"):
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
    assert len(server.asked) == 1


def test_an_answer_without_data_is_a_feed_error():
    with (
        elexon(Answer(200, b'{"metadata": {"datasets": ["MID"]}}')) as (feed, _server),
        pytest.raises(FeedError, match=r"^ELEXON: the answer has no list of data$"),
    ):
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])


def test_gb_sources_are_covered_and_others_are_not():
    with new_client(timeout=5) as client:
        feed = ElexonFeed(Settings(), client)
        gb = [source for source in sources.all_sources() if source.country_code == "GB"]
        assert len(gb) == 14 and all(feed.covers(source) for source in gb)
        assert not feed.covers(sources.source_for("FR", None))
        with pytest.raises(FeedError, match=r"^ELEXON: fr is not in Great Britain$"):
            feed.fetch(sources.source_for("FR", None), start=MARCH_30[0], end=MARCH_30[1])


def test_another_providers_rows_are_ignored():
    data = rows("elexon_mid_2025-03-30.json")
    n2ex = [{**row, "dataProvider": "N2EXMIDP", "price": 0, "volume": 0} for row in data]
    assert market_index(data + n2ex) == market_index(data)


def test_two_prices_for_one_period_are_refused():
    data = rows("elexon_mid_2025-03-30.json")
    with pytest.raises(FeedError, match=r"^ELEXON: two prices for the period at 2025-03-30T22:30"):
        market_index([*data, {**data[0], "price": Decimal("99.5")}])


@pytest.mark.parametrize(
    ("field", "value"), [("price", "85.32"), ("price", None), ("volume", True)]
)
def test_a_price_or_volume_that_is_not_a_number_is_refused(field, value):
    data = rows("elexon_mid_2025-03-30.json")
    data[1][field] = value
    with pytest.raises(
        FeedError, match=rf"^ELEXON: {field} at 2025-03-30T22:00:00Z is not a number"
    ):
        market_index(data)


@pytest.mark.parametrize("start", ["2025-03-30T22:15:00Z", "2025-03-30T22:30:00", "soon"])
def test_a_start_time_that_begins_no_settlement_period_is_refused(start):
    data = rows("elexon_mid_2025-03-30.json")
    data[0]["startTime"] = start
    with pytest.raises(FeedError, match=r"^ELEXON: startTime '.*' "):
        market_index(data)
