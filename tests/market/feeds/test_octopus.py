"""market/feeds/octopus.py against a local stand-in for api.octopus.energy, answering with the
documented shapes (fixtures/octopus_*): products over two pages, rates newest first."""

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tariffconnect.config import Settings
from tariffconnect.market import sources
from tariffconnect.market.feeds.base import FeedError, PricePoint
from tariffconnect.market.feeds.http import new_client
from tariffconnect.market.feeds.octopus import (
    OctopusAgileFeed,
    agile_product,
    regional_tariffs,
    unit_rates,
)
from tests.market.feeds.fixture_server import Answer, serving
from tests.market.feeds.support import FIXTURES

REAL_API = "https://api.octopus.energy/v1"  # as the fixtures' `next` links name it
NOW = datetime(2025, 10, 26, 12, 0, tzinfo=UTC)
PRODUCT = "/v1/products/AGILE-24-10-01/"
LONDON_RATES = f"{PRODUCT}electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/"
# Local midnight to local midnight (Europe/London), in UTC, on the two clock-change days.
OCTOBER_26 = (datetime(2025, 10, 25, 23, 0, tzinfo=UTC), datetime(2025, 10, 27, 0, 0, tzinfo=UTC))
MARCH_30 = (datetime(2025, 3, 30, 0, 0, tzinfo=UTC), datetime(2025, 3, 30, 23, 0, tzinfo=UTC))


def text(name, base=REAL_API):
    return (FIXTURES / name).read_text().replace(REAL_API, base)


def rows(name):
    return json.loads(text(name), parse_float=Decimal)["results"]


def london():
    return sources.source_for("GB", "London")


@contextmanager
def octopus(rates, product="octopus_product_agile.json"):
    """The API on a local port: the products, `product`, and London's rates by `page` (each a
    fixture name or an Answer). Anything else is the API's 404."""
    routes = {}

    def answer(asked):
        found = routes.get((asked.path, asked.query.get("page")))
        return found or Answer(404, text("octopus_not_found.json").encode())

    with serving(answer) as server, new_client(timeout=5) as client:
        base = f"{server.url}/v1"

        def body(fixture):
            return (
                fixture
                if isinstance(fixture, Answer)
                else Answer(200, text(fixture, base).encode())
            )

        routes[("/v1/products/", None)] = body("octopus_products_page1.json")
        routes[("/v1/products/", "2")] = body("octopus_products_page2.json")
        routes[(PRODUCT, None)] = body(product)
        routes.update({(LONDON_RATES, page): body(fixture) for page, fixture in rates.items()})
        yield OctopusAgileFeed(Settings(octopus_url=base), client, clock=lambda: NOW), server


def test_the_autumn_clock_change_day_is_50_half_hours_read_over_two_pages():
    pages = {
        None: "octopus_rates_2025-10-26_page1.json",
        "2": "octopus_rates_2025-10-26_page2.json",
    }
    with octopus(pages) as (feed, server):
        points = feed.fetch(london(), start=OCTOBER_26[0], end=OCTOBER_26[1])

    assert len(points) == 50
    assert points[0] == PricePoint(OCTOBER_26[0], 30, Decimal("0.1575"), "GBP")
    assert points[-1] == PricePoint(
        datetime(2025, 10, 26, 23, 30, tzinfo=UTC), 30, Decimal("0.236565"), "GBP"
    )
    assert [p.start for p in points] == sorted({p.start for p in points})
    negative = points[28]
    assert (negative.start, negative.value) == (
        datetime(2025, 10, 26, 13, tzinfo=UTC),
        Decimal("-0.021"),
    )
    window = {"period_from": "2025-10-25T23:00:00Z", "period_to": "2025-10-27T00:00:00Z"}
    assert [(asked.path, asked.query) for asked in server.asked] == [
        ("/v1/products/", {}),
        ("/v1/products/", {"page": "2"}),
        (PRODUCT, {}),
        (LONDON_RATES, {**window, "page_size": "1500"}),
        (LONDON_RATES, {**window, "page_size": "1500", "page": "2"}),
    ]


def test_the_spring_clock_change_day_is_46_half_hours_with_a_negative_price_kept():
    with octopus({None: "octopus_rates_2025-03-30.json"}) as (feed, _server):
        points = feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])

    assert len(points) == 46
    assert points[0].start == MARCH_30[0]
    assert points[-1].start == datetime(2025, 3, 30, 22, 30, tzinfo=UTC)
    assert {p.minutes for p in points} == {30} and {p.currency for p in points} == {"GBP"}
    assert [p.value for p in points if p.value < 0] == [Decimal("-0.021")]
    assert points[26] == PricePoint(
        datetime(2025, 3, 30, 13, tzinfo=UTC), 30, Decimal("-0.021"), "GBP"
    )


def test_the_product_is_discovered_once_per_feed():
    with octopus({None: "octopus_rates_2025-03-30.json"}) as (feed, server):
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
    assert server.paths()[3:] == [LONDON_RATES, LONDON_RATES]


def test_rates_outside_the_window_asked_for_are_left_out():
    start, end = datetime(2025, 3, 30, 12, tzinfo=UTC), datetime(2025, 3, 30, 14, tzinfo=UTC)
    with octopus({None: "octopus_rates_2025-03-30.json"}) as (feed, _server):
        points = feed.fetch(london(), start=start, end=end)  # the stand-in sends the whole day
    assert [p.start.hour for p in points] == [12, 12, 13, 13]


def test_an_html_error_page_is_a_feed_error_naming_the_request():
    page = Answer(200, (FIXTURES / "octopus_maintenance.html").read_bytes(), "text/html")
    with octopus({None: page}) as (feed, _server), pytest.raises(FeedError) as failed:
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
    expected = "OCTOPUS: answered text/html, not json (unit rates of E-1R-AGILE-24-10-01-C)"
    assert str(failed.value) == expected


def test_a_tariff_code_the_api_does_not_know_is_a_404_feed_error():
    with octopus({}) as (feed, server), pytest.raises(FeedError) as failed:
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
    assert str(failed.value) == "OCTOPUS: HTTP 404 (unit rates of E-1R-AGILE-24-10-01-C)"
    assert server.paths()[-1] == LONDON_RATES


@pytest.mark.parametrize("next_page", ["https://elsewhere.example/v1/rates/?page=2", 2])
def test_a_next_page_away_from_the_api_is_refused(next_page):
    page = json.loads(text("octopus_rates_2025-10-26_page1.json"))
    page["next"] = next_page
    with (
        octopus({None: Answer(200, json.dumps(page).encode())}) as (feed, server),
        pytest.raises(FeedError, match=r"^OCTOPUS: unit rates of .*: the next page is not on the"),
    ):
        feed.fetch(london(), start=OCTOBER_26[0], end=OCTOBER_26[1])
    assert server.paths()[-1] == LONDON_RATES


def test_the_agile_import_product_on_sale_is_picked_and_the_others_skipped():
    listed = rows("octopus_products_page1.json") + rows("octopus_products_page2.json")
    assert agile_product(iter(listed), now=NOW) == "AGILE-24-10-01"
    # Before October 2024 the November 2022 Agile was the one on sale; AGILE-OUTGOING never.
    assert (
        agile_product(iter(listed), now=datetime(2024, 6, 1, tzinfo=UTC)) == "AGILE-FLEX-22-11-25"
    )
    with pytest.raises(FeedError, match=r"^OCTOPUS: no Agile import product is on sale$"):
        agile_product(iter(listed), now=datetime(2022, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("field", "value"),
    [("is_prepay", True), ("is_business", True), ("is_variable", False), ("direction", "EXPORT")],
)
def test_agile_products_that_are_not_a_household_import_tariff_are_skipped(field, value):
    current = rows("octopus_products_page2.json")[1]
    with pytest.raises(FeedError, match="no Agile import product"):
        agile_product(iter([{**current, field: value}]), now=NOW)


def test_each_gsp_group_has_its_direct_debit_tariff_code():
    detail = json.loads(text("octopus_product_agile.json"))
    tariffs = regional_tariffs(detail)
    assert len(tariffs) == 14
    assert tariffs["_C"] == "E-1R-AGILE-24-10-01-C"
    assert tariffs["_P"] == "E-1R-AGILE-24-10-01-P"


def test_a_region_missing_from_the_product_is_a_feed_error():
    detail = json.loads(text("octopus_product_agile.json"))
    del detail["single_register_electricity_tariffs"]["_C"]
    product = Answer(200, json.dumps(detail).encode())
    with (
        octopus({}, product) as (feed, server),
        pytest.raises(FeedError, match=r"^OCTOPUS: AGILE-24-10-01 has no tariff for GSP group _C$"),
    ):
        feed.fetch(london(), start=MARCH_30[0], end=MARCH_30[1])
    assert server.paths()[-1] == PRODUCT


def test_every_gb_region_maps_to_its_own_gsp_group_and_nothing_else_is_covered():
    groups = {
        sources.gsp_group(source) for source in sources.all_sources() if source.country_code == "GB"
    }
    assert groups == {f"_{letter}" for letter in "ABCDEFGHJKLMNP"}
    assert sources.gsp_group(london()) == "_C"
    with new_client(timeout=5) as client:
        feed = OctopusAgileFeed(Settings(), client)
        assert feed.covers(london())
        assert not feed.covers(sources.source_for("DE", None))


def march_rows():
    return rows("octopus_rates_2025-03-30.json")


def test_a_rate_that_is_not_half_an_hour_is_refused():
    changed = march_rows()
    changed[0]["valid_to"] = "2025-03-30T23:30:00Z"  # the newest, 22:30, made an hour long
    with pytest.raises(FeedError, match=r"^OCTOPUS: a rate of 60 minutes at 2025-03-30T22:30:00Z"):
        unit_rates(changed)


def test_overlapping_rates_are_refused_but_a_repeated_one_is_not():
    repeated = march_rows()
    assert len(unit_rates([*repeated, repeated[5]])) == 46
    conflicting = march_rows()
    conflicting.append({**conflicting[5], "value_inc_vat": Decimal("99.9")})
    with pytest.raises(FeedError, match=r"^OCTOPUS: overlapping rates at 2025-03-30T20:00:00Z$"):
        unit_rates(conflicting)


@pytest.mark.parametrize("value", ["24.15", None, True, float("nan")])
def test_a_rate_that_is_not_a_number_is_refused(value):
    changed = march_rows()
    changed[3]["value_inc_vat"] = value
    with pytest.raises(
        FeedError, match=r"^OCTOPUS: value_inc_vat at 2025-03-30T21:00:00Z is not a"
    ):
        unit_rates(changed)


def test_a_time_without_a_zone_is_refused():
    changed = march_rows()
    changed[0]["valid_from"] = "2025-03-30T22:30:00"
    with pytest.raises(FeedError, match="has no time zone"):
        unit_rates(changed)
