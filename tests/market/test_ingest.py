"""Fetching every source from (local stand-ins for) the public feeds: each source filled from
its first feed, EUR converted at the ECB rate, the next feed tried when one is down, and
POST /prices answering real values from what was stored."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tariffconnect.market import fetching, ingest, sources, store
from tariffconnect.market.feeds import http
from tariffconnect.market.models import MarketPrice, MarketSourceState
from tests.market.public_feeds import FX, agile_pence, eur_mwh, public_feeds, settings_for
from tests.tariffs.support import tariff_body, window

NOW = datetime(2035, 6, 3, 12, 0, tzinfo=UTC)


def by_slug(slug):
    return sources.find(slug)


def stored(database, source, day):
    """(start, end, price, feed, fx_rate) of the source's stored prices on a local day."""
    start, end = ingest.window(source, first=day, last=day)
    columns = (MarketPrice.start, MarketPrice.end, MarketPrice.price, MarketPrice.feed)
    with database.transaction(write=False) as session:
        return session.execute(
            select(*columns, MarketPrice.fx_rate)
            .where(
                MarketPrice.source_id == source.id,
                MarketPrice.start >= start,
                MarketPrice.start < end,
            )
            .order_by(MarketPrice.start)
        ).all()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    """A feed that is down is retried without the real waits."""
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)


def state(database, source):
    with database.transaction(write=False) as session:
        found = session.get(MarketSourceState, source.id)
        return (found.feed, found.error) if found else None


def fetch(settings, database, slugs, day, **feeds):
    with public_feeds(**feeds) as server:
        plan = [(by_slug(slug), day, day) for slug in slugs]
        return fetching.fetch_many(settings_for(settings, server), database, plan, now=NOW)


def test_every_source_is_filled_from_its_first_feed(settings, database):
    day = date(2035, 6, 4)
    everything = [s.slug for s in sources.all_sources()]
    outcomes = fetch(settings, database, everything, day)
    assert [o.source.slug for o in outcomes if o.failed or o.missing] == []
    for source in sources.all_sources():
        rows = stored(database, source, day)
        assert len(rows) == (48 if source.country_code == "GB" else 96), source.slug
        assert {feed for *_, feed, _ in rows} == {source.feeds[0]}, source.slug
    de = stored(database, by_slug("de-lu"), day)
    start, end, price, feed, rate = de[0]
    assert start.replace(tzinfo=UTC) == datetime(2035, 6, 3, 22, 0, tzinfo=UTC)  # local midnight
    assert end.replace(tzinfo=UTC) - start.replace(tzinfo=UTC) == timedelta(minutes=15)
    assert (price, feed, rate) == (
        store.rounded(eur_mwh("DE-LU", start) / 1000),
        "ENERGY_CHARTS",
        None,
    )


def test_prices_cleared_in_euro_are_billed_at_the_days_ecb_rate(settings, database):
    day = date(2035, 6, 5)
    [outcome] = fetch(settings, database, ["se3"], day)
    assert (outcome.feed, outcome.stored.inserted) == ("ENTSOE", 96)
    start, _, price, _, rate = stored(database, by_slug("se3"), day)[10]
    moment = start.replace(tzinfo=UTC)
    assert rate == FX["SEK"]
    assert price == store.rounded(eur_mwh("SE3", moment) / 1000 * FX["SEK"])


def test_agile_is_stored_in_pounds_and_keeps_its_negative_prices(settings, database):
    day = date(2035, 6, 6)
    [outcome] = fetch(settings, database, ["gb-london"], day)
    assert outcome.feed == "OCTOPUS"
    rows = stored(database, by_slug("gb-london"), day)
    assert rows[0][0].replace(tzinfo=UTC) == datetime(2035, 6, 5, 23, 0, tzinfo=UTC)  # BST
    negative = [(s, p) for s, _, p, *_ in rows if s.hour == 3]
    assert [p for _, p in negative] == [
        store.rounded(agile_pence("C", s.replace(tzinfo=UTC)) / 100) for s, _ in negative
    ]
    assert all(p < 0 for _, p in negative)


def test_the_next_feed_is_tried_when_the_first_is_down(settings, database):
    day = date(2035, 6, 7)
    [outcome] = fetch(settings, database, ["de-lu"], day, down=frozenset({"energy-charts"}))
    assert (outcome.feed, outcome.stored.inserted, outcome.failed) == ("ENTSOE", 96, False)
    assert outcome.problems == ["ENERGY_CHARTS: HTTP 503"]
    assert {row[3] for row in stored(database, by_slug("de-lu"), day)} == {"ENTSOE"}
    assert state(database, by_slug("de-lu")) == ("ENTSOE", "ENERGY_CHARTS: HTTP 503")


def test_no_feed_answering_stores_nothing_and_says_why(settings, database):
    day = date(2035, 6, 8)
    with public_feeds(down=frozenset({"energy-charts"})) as server:
        no_token = settings_for(settings, server).model_copy(update={"entsoe_token": ""})
        plan = [(by_slug("at"), day, day)]
        [outcome] = fetching.fetch_many(no_token, database, plan, now=NOW)
    assert outcome.failed
    assert outcome.problems == [
        "ENERGY_CHARTS: HTTP 503",
        "ENTSOE: no security token (TARIFFCONNECT_ENTSOE_TOKEN)",
    ]
    assert stored(database, by_slug("at"), day) == []
    _, error = state(database, by_slug("at"))
    assert error == (
        "ENERGY_CHARTS: HTTP 503; ENTSOE: no security token (TARIFFCONNECT_ENTSOE_TOKEN); "
        "no prices for 2035-06-08..2035-06-08"
    )


def test_fetching_again_changes_nothing(settings, database):
    day = date(2035, 6, 9)
    fetch(settings, database, ["nl"], day)
    [again] = fetch(settings, database, ["nl"], day)
    assert again.stored == store.Stored(unchanged=96)


def test_post_prices_answers_the_fetched_market_prices(client, tenant, settings, database):
    day = date(2035, 6, 10)
    fetch(settings, database, ["de-lu"], day)
    location = client.post(
        "/locations",
        json={"postal_address": {"city": "Köln", "country_code": "DE"}},
        headers=tenant.test,
    ).json()
    surcharge = window("00:00:00", "00:00:00", None, surcharge_fixed=0.1, surcharge_percentage=0.19)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    body = tariff_body(
        location["id"], schedule, market_rates=True, market_source_id=by_slug("de-lu").id
    )
    assert client.post("/tariffs", json=body, headers=tenant.test).status_code == 201
    window_body = {
        "location_id": location["id"],
        "start_time": "2035-06-10T00:00:00+02:00",
        "end_time": "2035-06-10T01:00:00+02:00",
    }
    response = client.post("/prices", json=window_body, headers=tenant.test)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    expected = []
    for quarter in range(4):
        moment = datetime(2035, 6, 9, 22, 15 * quarter, tzinfo=UTC)
        market = store.rounded(eur_mwh("DE-LU", moment) / 1000)
        expected.append(
            float(((market + Decimal("0.1")) * Decimal("1.19")).quantize(Decimal("0.00001")))
        )
    assert [d["price"]["value"] for d in data] == expected
    assert [d["price"]["confidence"] for d in data] == [1.0] * 4
    assert data[0]["valid_from"] == "2035-06-10T00:00:00+02:00"


@pytest.mark.parametrize("slug", ["de-lu", "gb-london", "se3"])
def test_the_window_asked_is_the_local_delivery_day(slug):
    source = by_slug(slug)
    start, end = ingest.window(source, first=date(2035, 3, 25), last=date(2035, 3, 25))
    zone = ingest.delivery_zone(source)
    assert start.astimezone(zone).hour == 0 and end.astimezone(zone).hour == 0
    assert end - start == timedelta(hours=23)  # the spring change: 25 March 2035 is a Sunday
