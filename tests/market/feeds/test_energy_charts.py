"""market/feeds/energy_charts.py against a real server answering as api.energy-charts.info does."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import FeedError
from tariffconnect.market.feeds.energy_charts import LICENSED_ZONES, EnergyChartsFeed
from tariffconnect.market.feeds.http import new_client
from tariffconnect.market.sources import all_sources
from tests.market.feeds.fixture_server import Answer, FixtureServer, serving
from tests.market.feeds.support import fixture, source, utc

BRUSSELS = ZoneInfo("Europe/Brussels")
DE_LU_DAY = "energy_charts_de_lu_2026-03-29_15min_nulls.json"
NL_LONG_DAY = "energy_charts_nl_2024-10-27_60min.json"


def edited(name, edit):
    data = json.loads(fixture(name))
    edit(data)
    return Answer(200, json.dumps(data).encode())


@contextmanager
def energy_charts_answering(answer) -> Iterator[tuple[EnergyChartsFeed, FixtureServer]]:
    with serving(lambda _asked: answer) as server, new_client(timeout=5) as client:
        yield EnergyChartsFeed(Settings(energy_charts_url=server.url), client), server


def fetch(answer, slug="de-lu", start="2026-03-28T23:00", end="2026-03-29T22:00"):
    with energy_charts_answering(answer) as (feed, server):
        points = feed.fetch(source(slug), start=utc(start), end=utc(end))
    return points, server.asked


def failure(answer, slug="de-lu"):
    with pytest.raises(FeedError) as failed:
        fetch(answer, slug)
    return str(failed.value)


def test_a_23_hour_day_of_quarters_leaves_nulls_out():
    points, asked = fetch(Answer(200, fixture(DE_LU_DAY)))

    # 92 quarters on the day the clocks went forward; two unknown (null) and the quarter
    # at the range's end (the API includes it) are left out.
    assert len(points) == 90
    assert points[0].start == utc("2026-03-28T23:00")
    assert points[0].start.astimezone(BRUSSELS).hour == 0
    assert points[-1].start == utc("2026-03-29T21:45")
    assert {p.minutes for p in points} == {15}
    assert {p.currency for p in points} == {"EUR"}
    assert [p.value for p in points[:3]] == [
        Decimal("0.0913"),
        Decimal("0.09429"),
        Decimal("0.09248"),
    ]
    assert [p.value for p in points[40:44]] == [
        Decimal("-0.00501"),
        Decimal("-0.00501"),
        Decimal("-0.00001"),
        Decimal("0"),
    ]
    starts = {p.start for p in points}
    assert utc("2026-03-29T14:00") not in starts  # null: unknown, not zero
    assert utc("2026-03-29T14:15") not in starts
    assert utc("2026-03-29T13:45") in starts
    assert points[-1].value == Decimal("0.03699")

    assert len(asked) == 1
    assert asked[0].path == "/price"
    assert asked[0].query == {
        "bzn": "DE-LU",
        "start": "2026-03-28T23:00Z",
        "end": "2026-03-29T22:00Z",
    }


def test_a_25_hour_day_of_hours_without_its_unknown_last_hour():
    points, asked = fetch(
        Answer(200, fixture(NL_LONG_DAY)), "nl", "2024-10-26T22:00", "2024-10-27T23:00"
    )

    assert len(points) == 24  # 25 hours that day; the last one is null
    assert {p.minutes for p in points} == {60}
    assert points[0].start == utc("2024-10-26T22:00")
    assert points[-1].start == utc("2024-10-27T21:00")
    assert [p.start.astimezone(BRUSSELS).hour for p in points[2:5]] == [2, 2, 3]
    assert [p.value for p in points[:4]] == [
        Decimal("0.0685"),
        Decimal("0.06775"),
        Decimal("0.067"),
        Decimal("0.07555"),
    ]
    assert points[-1].value == Decimal("0.11635")
    assert asked[0].query == {
        "bzn": "NL",
        "start": "2024-10-26T22:00Z",
        "end": "2024-10-27T23:00Z",
    }


def test_the_zone_is_asked_as_energy_charts_spells_it():
    empty = {"unix_seconds": [], "price": [], "unit": "EUR / MWh", "deprecated": False}

    points, asked = fetch(Answer(200, json.dumps(empty).encode()), "it-nord")

    assert points == []
    assert asked[0].query["bzn"] == "IT-North"


def test_a_404_is_no_prices_for_that_range():
    points, asked = fetch(Answer(404, b'{"detail":"No data for that bidding zone/time range"}'))

    assert points == []
    assert len(asked) == 1


def test_irregular_spacing_is_a_failure():
    def drop_one(data):
        del data["unix_seconds"][10]
        del data["price"][10]

    reason = failure(edited(DE_LU_DAY, drop_one))

    assert reason == "ENERGY_CHARTS: irregular spacing of unix_seconds (2 step sizes)"


def test_a_spacing_other_than_15_30_or_60_minutes_is_a_failure():
    def five_minutes(data):
        data["unix_seconds"] = [1774738800 + 300 * i for i in range(len(data["price"]))]

    reason = failure(edited(DE_LU_DAY, five_minutes))

    assert reason == "ENERGY_CHARTS: prices 300 s apart, not 15, 30 or 60 min"


def test_a_lone_price_lasts_the_sources_resolution():
    def first_only(data):
        data["unix_seconds"] = data["unix_seconds"][:1]
        data["price"] = data["price"][:1]

    points, _ = fetch(edited(DE_LU_DAY, first_only))

    assert [(p.start, p.minutes, p.value) for p in points] == [
        (utc("2026-03-28T23:00"), 15, Decimal("0.0913"))
    ]


def test_another_unit_is_a_failure():
    def per_kwh(data):
        data["unit"] = "EUR / kWh"

    reason = failure(edited(DE_LU_DAY, per_kwh))

    assert reason == "ENERGY_CHARTS: prices in 'EUR / kWh', not EUR / MWh"


def test_prices_and_times_of_different_lengths_are_a_failure():
    def short(data):
        data["price"].pop()

    reason = failure(edited(DE_LU_DAY, short))

    assert reason == "ENERGY_CHARTS: price is not a list as long as unix_seconds"


def test_a_price_that_is_not_a_number_is_a_failure():
    def text_price(data):
        data["price"][3] = "n/a"

    assert failure(edited(DE_LU_DAY, text_price)) == "ENERGY_CHARTS: price 'n/a' is not a number"


def test_an_html_error_page_is_a_failure():
    page = Answer(200, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")

    assert failure(page) == "ENERGY_CHARTS: answered text/html, not json"


def test_a_truncated_answer_is_a_failure():
    body = fixture(DE_LU_DAY)

    assert failure(Answer(200, body[: len(body) // 2])) == "ENERGY_CHARTS: the answer is not JSON"


def test_covers_only_the_zones_licensed_for_reuse():
    with new_client(timeout=5) as client:
        feed = EnergyChartsFeed(Settings(), client)

        assert feed.covers(source("de-lu"))
        assert feed.covers(source("it-nord"))
        assert feed.covers(source("se4"))
        assert not feed.covers(source("se3"))  # served, but for private use only
        assert not feed.covers(source("es"))
        assert not feed.covers(source("gb-london"))


def test_every_source_listing_energy_charts_is_covered():
    listed = {s.bidding_zone for s in all_sources() if "ENERGY_CHARTS" in s.feeds}

    assert listed <= LICENSED_ZONES


def test_a_zone_it_does_not_cover_asks_nothing():
    with (
        energy_charts_answering(Answer(200, fixture(DE_LU_DAY))) as (feed, server),
        pytest.raises(FeedError) as failed,
    ):
        feed.fetch(source("fi"), start=utc("2026-03-28T23:00"), end=utc("2026-03-29T22:00"))

    assert str(failed.value) == "ENERGY_CHARTS: does not publish bidding zone FI"
    assert server.asked == []
