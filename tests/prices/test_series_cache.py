"""The cache of serialised price series: the same request is priced once, and every input that
decides the answer (the tariff, the market prices, the window, the offset) is in its key."""

from datetime import UTC, datetime

import pytest

from tariffconnect.app import create_app
from tariffconnect.prices import service
from tariffconnect.prices.cache import SERIES, SeriesCache
from tests.helpers import assert_error
from tests.market.stored import publish
from tests.prices.test_prices_api import connect, prices
from tests.tariffs.support import flat, tariff_body, window

SOURCE = "mrs_" + "f6" * 12  # a fake source of this file's own
START = datetime(2036, 2, 2, tzinfo=UTC)


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "Köln", "country_code": "DE"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


@pytest.fixture
def pricings(monkeypatch):
    """How often the engine priced a window."""
    calls = []
    engine = service.price_columns

    def counted(*args, **kwargs):
        calls.append(kwargs["start"])
        return engine(*args, **kwargs)

    monkeypatch.setattr(service, "price_columns", counted)
    return calls


def market_tariff(location_id, surcharge_fixed):
    hours = window(
        "00:00:00", "00:00:00", None, surcharge_fixed=surcharge_fixed, surcharge_percentage=0
    )
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [hours]}]}]
    return tariff_body(location_id, schedule, market_rates=True, market_source_id=SOURCE)


def values(answer):
    return [(d["valid_from"], d["price"]["value"]) for d in answer["data"]]


def test_the_same_request_is_priced_once_and_changes_reach_the_answer(
    client, tenant, database, location, pricings
):
    publish(database, SOURCE, START, ["0.1", "0.2"])
    connect(client, tenant, market_tariff(location["id"], 0.0))
    body = {
        "location_id": location["id"],
        "start_time": "2036-02-02T00:00:00Z",
        "end_time": "2036-02-02T00:30:00Z",
    }
    first = prices(client, tenant, body)
    again = prices(client, tenant, body)
    assert (
        values(first)
        == values(again)
        == [
            ("2036-02-02T00:00:00Z", 0.1),
            ("2036-02-02T00:15:00Z", 0.2),
        ]
    )
    assert first["id"] != again["id"]  # each answer is its own object
    assert len(pricings) == 1

    # Another offset is another answer.
    shifted = body | {"end_time": "2036-02-02T01:30:00+01:00"}
    assert values(prices(client, tenant, shifted))[0] == ("2036-02-02T01:00:00+01:00", 0.1)
    assert len(pricings) == 2

    # A corrected market price.
    publish(database, SOURCE, START, ["0.1", "0.3"])
    assert values(prices(client, tenant, body))[1] == ("2036-02-02T00:15:00Z", 0.3)
    assert len(pricings) == 3

    # A new tariff (a surcharge now).
    connect(client, tenant, market_tariff(location["id"], 0.01))
    assert values(prices(client, tenant, body)) == [
        ("2036-02-02T00:00:00Z", 0.11),
        ("2036-02-02T00:15:00Z", 0.31),
    ]
    assert len(pricings) == 4


def test_a_fixed_tariff_edited_in_place_is_priced_again(client, tenant, location, pricings):
    tariff = connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {
        "location_id": location["id"],
        "start_time": "2036-03-01T00:00:00Z",
        "end_time": "2036-03-01T01:00:00Z",
    }
    assert values(prices(client, tenant, body)) == [("2036-03-01T00:00:00Z", 0.3)]
    patched = client.patch(
        f"/tariffs/{tariff['id']}", json={"schedule": flat(0.25)}, headers=tenant.test
    )
    assert patched.status_code == 200, patched.text
    assert values(prices(client, tenant, body)) == [("2036-03-01T00:00:00Z", 0.25)]
    assert len(pricings) == 2


def test_prices_stored_after_a_no_price_data_answer_are_served(client, tenant, database, location):
    connect(client, tenant, market_tariff(location["id"], 0.0))
    body = {
        "location_id": location["id"],
        "start_time": "2036-04-01T00:00:00Z",
        "end_time": "2036-04-01T00:15:00Z",
    }
    assert_error(client.post("/prices", json=body, headers=tenant.test), 422, "no_price_data")
    publish(database, SOURCE, datetime(2036, 4, 1, tzinfo=UTC), ["0.4"])
    assert values(prices(client, tenant, body)) == [("2036-04-01T00:00:00Z", 0.4)]


def test_a_tariff_change_prices_again_from_the_days_already_prepared(
    client, tenant, database, location, pricings, monkeypatch
):
    """Renaming a market tariff misses the series cache (its update time is in the key) but
    not the prepared market days (keyed by the source's version alone): the days are not
    prepared again, and the answer's data is the same bytes."""
    from tariffconnect.prices import prepared

    prepared_days = []
    real = prepared.MarketPrices

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, intervals):
            if intervals:  # a day prepared (joins start from an empty one)
                prepared_days.append(1)
            super().__init__(intervals)

    monkeypatch.setattr(prepared, "MarketPrices", Counted)
    publish(database, SOURCE, START, ["0.1", "0.2", "0.15"])
    tariff = connect(client, tenant, market_tariff(location["id"], 0.0))
    body = {
        "location_id": location["id"],
        "start_time": "2036-02-02T00:00:00Z",
        "end_time": "2036-02-02T00:45:00Z",
    }
    first = client.post("/prices", json=body, headers=tenant.test)
    assert first.status_code == 200, first.text
    assert len(pricings) == 1
    days = len(prepared_days)
    assert days >= 1
    for name in ("Renamed", "Renamed again"):
        patched = client.patch(
            f"/tariffs/{tariff['id']}", json={"display_name": name}, headers=tenant.test
        )
        assert patched.status_code == 200, patched.text
        again = client.post("/prices", json=body, headers=tenant.test)
        assert again.status_code == 200, again.text
        assert again.json()["data"] == first.json()["data"]
        assert (
            again.content.split(b',"data":')[1].split(b"]")[0]
            == (first.content.split(b',"data":')[1].split(b"]")[0])
        )
    assert (len(pricings), len(prepared_days)) == (3, days)


def test_the_cache_holds_its_bound_and_a_smaller_bound_evicts_the_least_recently_used():
    cache = SeriesCache(max_bytes=800)
    for name in "abcd":
        cache.put(name, name.encode() * 100)
    assert cache.get("a") == b"a" * 100  # a is now the most recently used
    cache.put("e", b"e" * 100)  # 500 bytes: within the bound, nothing out
    cache.put("f", b"f" * 100)
    cache.put("g", b"g" * 100)
    cache.put("h", b"h" * 100)
    cache.put("i", b"i" * 100)  # 900 bytes: b, the least recently used, goes
    assert [cache.get(name) is not None for name in "abcdefghi"] == [
        True, False, True, True, True, True, True, True, True
    ]  # fmt: skip
    cache.resize(300)
    assert [name for name in "acdefghi" if cache.get(name) is not None] == ["g", "h", "i"]
    cache.put("j", b"j" * 38)  # over an eighth of the bound: one answer may not push out most
    assert cache.get("j") is None


def test_a_bound_of_zero_keeps_nothing():
    cache = SeriesCache(max_bytes=1024)
    cache.put("a", b"a")
    cache.resize(0)
    cache.put("b", b"b")
    assert (cache.get("a"), cache.get("b")) == (None, None)


def test_the_setting_sizes_the_process_cache(settings, database):
    try:
        create_app(settings.model_copy(update={"price_series_cache_mb": 3}), database=database)
        assert SERIES.max_bytes == 3 * 1024 * 1024
    finally:
        create_app(settings, database=database)
    assert SERIES.max_bytes == 32 * 1024 * 1024  # the default
