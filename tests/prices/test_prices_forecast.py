"""POST /prices for a MARKET tariff whose window runs past the published horizon: published
intervals at confidence 1, forecast ones below 1, and no_price_data where no forecast is made.

The market tables are shared by the whole test session, so these tests own two shipped GB
sources (30-minute prices, London delivery days) in 2032, which no other test uses.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import assert_error
from tests.market import stored
from tests.prices.test_prices_api import connect, prices
from tests.tariffs.support import tariff_body, window

SOUTHERN_SCOTLAND = "mrs_d71565d1a9052f65947a9cd4"
NORTHERN_SCOTLAND = "mrs_cb31c207e1909827ed5e318f"
LONDON = ZoneInfo("Europe/London")
HALF_HOUR = timedelta(minutes=30)
# Local days Monday 2032-06-21 to Sunday 2032-06-27 (BST): published up to 2032-06-27T23:00Z.
LAST_DAY_END = datetime(2032, 6, 28, tzinfo=LONDON)


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


def publish(database, source: str, days: int) -> None:
    """`days` local days up to Sunday 2032-06-27, each half hour priced at its number / 1000."""
    start = moment = (LAST_DAY_END - timedelta(days=days)).astimezone(ZoneInfo("UTC"))
    prices = []
    while moment < LAST_DAY_END:
        local = moment.astimezone(LONDON)
        prices.append(Decimal(local.hour * 2 + local.minute // 30) / 1000)
        moment += HALF_HOUR
    stored.publish(database, source, start, prices, minutes=30)


def connect_market(client, tenant, location, source: str) -> None:
    surcharge = window("00:00:00", "00:00:00", None, surcharge_fixed=0.1, surcharge_percentage=0)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    body = tariff_body(location["id"], schedule, market_rates=True, market_source_id=source)
    connect(client, tenant, body)


def answer(client, tenant, location, start: str, end: str) -> list[tuple[str, str, float, float]]:
    body = {"location_id": location["id"], "start_time": start, "end_time": end}
    data = prices(client, tenant, body)["data"]
    return [
        (d["valid_from"], d["valid_to"], d["price"]["value"], d["price"]["confidence"])
        for d in data
    ]


def assert_no_price_data(client, tenant, location, start: str, end: str) -> None:
    body = {"location_id": location["id"], "start_time": start, "end_time": end}
    assert_error(client.post("/prices", json=body, headers=tenant.test), 422, "no_price_data")


def test_the_window_past_the_published_horizon_is_forecast_below_confidence_1(
    client, tenant, database, location
):
    publish(database, SOUTHERN_SCOTLAND, days=7)
    connect_market(client, tenant, location, SOUTHERN_SCOTLAND)
    assert answer(client, tenant, location, "2032-06-27T21:00:00Z", "2032-06-28T01:00:00Z") == [
        ("2032-06-27T21:00:00Z", "2032-06-27T21:30:00Z", 0.144, 1.0),
        ("2032-06-27T21:30:00Z", "2032-06-27T22:00:00Z", 0.145, 1.0),
        ("2032-06-27T22:00:00Z", "2032-06-27T22:30:00Z", 0.146, 1.0),
        ("2032-06-27T22:30:00Z", "2032-06-27T23:00:00Z", 0.147, 1.0),
        # Monday's first half hours, from the only Monday published, on the first day: 0.9.
        ("2032-06-27T23:00:00Z", "2032-06-27T23:30:00Z", 0.1, 0.9),
        ("2032-06-27T23:30:00Z", "2032-06-28T00:00:00Z", 0.101, 0.9),
        ("2032-06-28T00:00:00Z", "2032-06-28T00:30:00Z", 0.102, 0.9),
        ("2032-06-28T00:30:00Z", "2032-06-28T01:00:00Z", 0.103, 0.9),
    ]
    # A window wholly in the forecast's seventh day (confidence 0.5), then past it.
    assert answer(client, tenant, location, "2032-07-04T22:00:00Z", "2032-07-04T23:00:00Z") == [
        ("2032-07-04T22:00:00Z", "2032-07-04T22:30:00Z", 0.146, 0.5),
        ("2032-07-04T22:30:00Z", "2032-07-04T23:00:00Z", 0.147, 0.5),
    ]
    assert_no_price_data(client, tenant, location, "2032-07-04T22:00:00Z", "2032-07-04T23:30:00Z")


def test_under_seven_days_of_history_answers_no_price_data(client, tenant, database, location):
    publish(database, NORTHERN_SCOTLAND, days=6)
    connect_market(client, tenant, location, NORTHERN_SCOTLAND)
    published = answer(client, tenant, location, "2032-06-27T22:00:00Z", "2032-06-27T23:00:00Z")
    assert [(value, confidence) for *_, value, confidence in published] == [
        (0.146, 1.0),
        (0.147, 1.0),
    ]
    assert_no_price_data(client, tenant, location, "2032-06-27T22:00:00Z", "2032-06-27T23:30:00Z")


SOUTH_WESTERN_ENGLAND = "mrs_4de9de7003b018013ccfeab0"  # this test's alone


def test_a_window_in_a_gap_is_forecast_from_the_last_price_before_it(
    client, tenant, database, location
):
    publish(database, SOUTH_WESTERN_ENGLAND, days=7)
    connect_market(client, tenant, location, SOUTH_WESTERN_ENGLAND)
    start, end = "2032-06-29T01:00:00Z", "2032-06-29T02:30:00Z"
    before = answer(client, tenant, location, start, end)
    assert [(b[0], b[1]) for b in before] == [
        ("2032-06-29T01:00:00Z", "2032-06-29T01:30:00Z"),
        ("2032-06-29T01:30:00Z", "2032-06-29T02:00:00Z"),
        ("2032-06-29T02:00:00Z", "2032-06-29T02:30:00Z"),
    ]
    assert all(confidence < 1 for *_, confidence in before)
    # A day published after the gap (2032-07-01, local) leaves the gap's forecast as it was:
    # it still starts where the published prices stop, not after the gap.
    later = datetime(2032, 7, 1, tzinfo=LONDON).astimezone(ZoneInfo("UTC"))
    stored.publish(database, SOUTH_WESTERN_ENGLAND, later, [Decimal("0.5")] * 48, minutes=30)
    assert answer(client, tenant, location, start, end) == before
    # The day after the gap is published, at confidence 1.
    assert answer(client, tenant, location, "2032-06-30T23:00:00Z", "2032-06-30T23:30:00Z") == [
        ("2032-06-30T23:00:00Z", "2032-06-30T23:30:00Z", 0.6, 1.0)
    ]
