"""What a MARKET tariff says about the present: `data_available` on its Connect session waits
for prices that cover this moment, and `next_update` of `/prices` is the source's next expected
publication.

The market tables are shared by the whole test session and these tests use the real clock, so
they own two shipped sources (no3, se1) that no other test uses.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tariffconnect.market import sources
from tariffconnect.prices.service import FIXED_REFRESH
from tests.market.stored import publish
from tests.prices.test_prices_api import connect, prices
from tests.tariffs.support import tariff_body, window

BRUSSELS = ZoneInfo("Europe/Brussels")  # SDAC delivery days
QUARTER = timedelta(minutes=15)


def source_id(slug: str) -> str:
    found = sources.find(slug)
    assert found is not None
    return found.id


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "Trondheim", "country_code": "NO"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


def publish_days(database, source: str, first, last) -> datetime:
    """Every quarter hour of the local days `first`..`last`, at 0.1 EUR/kWh; returns the end."""
    start = datetime.combine(first, time(), BRUSSELS).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), BRUSSELS).astimezone(UTC)
    publish(database, source, start, ["0.1"] * ((end - start) // QUARTER))
    return end


def connect_market(client, tenant, location, source: str) -> None:
    flat = window("00:00:00", "00:00:00", None, surcharge_fixed=0.0, surcharge_percentage=0)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [flat]}]}]
    connect(
        client,
        tenant,
        tariff_body(location["id"], schedule, market_rates=True, market_source_id=source),
    )


def data_available(client, tenant, session_id: str) -> bool:
    answer = client.get(f"/connect/{session_id}", headers=tenant.test)
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["data_available"])


def test_a_market_tariff_has_data_only_once_prices_cover_now(client, tenant, database, location):
    session = client.post(
        "/connect",
        json={"location_id": location["id"], "connect_url": "app://c", "callback_url": "app://d"},
        headers=tenant.test,
    ).json()
    connect_market(client, tenant, location, source_id("no3"))
    # Connected, but no price of the source exists: nothing to fetch yet.
    assert data_available(client, tenant, session["id"]) is False
    today = datetime.now(BRUSSELS).date()
    # Days long past give no price now (too old to forecast from: under 7 days of history).
    publish_days(database, source_id("no3"), today - timedelta(days=30), today - timedelta(29))
    assert data_available(client, tenant, session["id"]) is False
    publish_days(database, source_id("no3"), today, today + timedelta(days=1))
    assert data_available(client, tenant, session["id"]) is True


def test_next_update_is_the_next_expected_publication(client, tenant, database, location):
    source = source_id("se1")
    connect_market(client, tenant, location, source)
    # Prices stored years ahead (other tests' backfills) say nothing of the next publication.
    publish_days(database, source, date(2040, 1, 1), date(2040, 1, 1))
    today = datetime.now(BRUSSELS).date()
    publish_days(database, source, today, today)
    # The window is the last hour of today's published day, whatever the time: the next update
    # does not depend on the window, and an hour from now leaves today after 23:00 Brussels.
    end = datetime.combine(today + timedelta(days=1), time(), BRUSSELS).astimezone(UTC)
    body = {
        "location_id": location["id"],
        "start_time": (end - timedelta(hours=1)).isoformat(),
        "end_time": end.isoformat(),
    }
    answer = prices(client, tenant, body)
    created = datetime.fromisoformat(answer["time_created"])
    due = datetime.combine(today, time(12, 45), BRUSSELS).astimezone(UTC)
    # Before 12:45 Brussels tomorrow's prices are due at 12:45; after it they are late, and
    # the answer says when the day-ahead task asks the feeds again.
    expected = due if created < due else created + timedelta(minutes=15)
    assert datetime.fromisoformat(answer["next_update"]) == expected
    # With tomorrow in as well, the next is tomorrow's publication.
    publish_days(database, source, today + timedelta(days=1), today + timedelta(days=1))
    answer = prices(client, tenant, body)
    tomorrow_due = datetime.combine(today + timedelta(days=1), time(12, 45), BRUSSELS)
    # Never later than a day on (prices.service.FIXED_REFRESH): before 12:45 Brussels, a day
    # from now comes before tomorrow's publication.
    a_day_on = datetime.fromisoformat(answer["time_created"]) + FIXED_REFRESH
    expected = min(tomorrow_due.astimezone(UTC), a_day_on)
    assert datetime.fromisoformat(answer["next_update"]) == expected
