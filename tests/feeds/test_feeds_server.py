"""The feeds fetched over HTTP from a real `tariffconnect serve`, whose clock reads the day
before Europe/London leaves summer time, and read the way evcc, Home Assistant and a
calendar app read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import icalendar
import pytest

from tariffconnect.db import Database
from tests.feeds.support import (
    DAY_BEFORE_DST_END,
    Site,
    read_as_evcc,
    read_as_home_assistant,
    running_site,
    runs,
)
from tests.market.stored import publish
from tests.schedules.support import market_schedule
from tests.tariffs.support import flat, tariff_body, window

pytestmark = pytest.mark.e2e

CHEAP, DEAR = 0.1, 0.3
TIME_OF_DAY = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    window("00:00:00", "07:00:00", CHEAP),
                    window("07:00:00", "00:00:00", DEAR),
                ],
            }
        ],
    }
]
# 15-minute market prices from local midnight of 24 October (23:00 UTC the day before) for
# 62 hours: 0.2 plus a little that changes every slot, and two cheap stretches.
MARKET_START = datetime(2026, 10, 23, 23, tzinfo=UTC)
MARKET_SLOTS = 62 * 4
CHEAP_24TH = (datetime(2026, 10, 24, 3, tzinfo=UTC), datetime(2026, 10, 24, 5, tzinfo=UTC))
# 01:00 BST to 01:00 GMT and on to 02:00 GMT: the stretch holds the repeated hour.
CHEAP_25TH = (datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC))


def market_price(moment: datetime) -> Decimal:
    if CHEAP_24TH[0] <= moment < CHEAP_24TH[1]:
        return Decimal("0.07")
    if CHEAP_25TH[0] <= moment < CHEAP_25TH[1]:
        return Decimal("0.05")
    index = (moment - MARKET_START) // timedelta(minutes=15)
    return Decimal("0.2") + Decimal(index % 8) / 1000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("feeds"), clock=DAY_BEFORE_DST_END) as running:
        yield running


@pytest.fixture(scope="module")
def time_of_day(site: Site):
    """(location id, tariff id, feed token) of a London location on the TIME_OF_DAY tariff."""
    location_id = site.location()
    tariff = site.post("/tariffs", tariff_body(location_id, TIME_OF_DAY))
    return location_id, tariff["id"], site.feed_token(location_id)


@pytest.fixture(scope="module")
def market(site: Site):
    """(location id, feed token) of a London location on a 15-minute market tariff."""
    location_id = site.location()
    source = "mrs_" + "fe" * 12
    site.post(
        "/tariffs",
        tariff_body(location_id, market_schedule(), market_rates=True, market_source_id=source),
    )
    moments = [MARKET_START + timedelta(minutes=15 * i) for i in range(MARKET_SLOTS)]
    database = Database(site.database_url, pool_size=1)
    try:
        publish(database, source, MARKET_START, [market_price(m) for m in moments])
    finally:
        database.dispose()
    return location_id, site.feed_token(location_id)


def test_evcc_reads_48_hours_of_quarter_hours_of_a_time_of_day_tariff(site, time_of_day):
    rates = read_as_evcc(site.get(f"/feeds/{time_of_day[2]}/evcc.json"))
    assert len(rates) == 192
    assert all(end - start == timedelta(minutes=15) for start, end, _ in rates)
    # From the quarter hour the clock is in, 48 h on; the cheap night of 25 October runs from
    # midnight BST to 07:00 GMT: eight hours.
    assert runs(rates) == [
        ("2026-10-24T12:00Z", "2026-10-24T23:00Z", DEAR),
        ("2026-10-24T23:00Z", "2026-10-25T07:00Z", CHEAP),
        ("2026-10-25T07:00Z", "2026-10-26T00:00Z", DEAR),
        ("2026-10-26T00:00Z", "2026-10-26T07:00Z", CHEAP),
        ("2026-10-26T07:00Z", "2026-10-26T12:00Z", DEAR),
    ]
    first = site.get(f"/feeds/{time_of_day[2]}/evcc.json").json()[0]
    assert first == {"start": "2026-10-24T12:00:00Z", "end": "2026-10-24T12:15:00Z", "value": DEAR}


def test_home_assistant_reads_today_and_a_25_hour_tomorrow(site, time_of_day):
    state, attributes = read_as_home_assistant(
        site.get(f"/feeds/{time_of_day[2]}/homeassistant.json")
    )
    assert state == "0.3"  # 13:05 BST
    today, tomorrow = attributes.pop("raw_today"), attributes.pop("raw_tomorrow")
    assert attributes.pop("today") == [CHEAP] * 28 + [DEAR] * 68
    assert attributes.pop("tomorrow") == [CHEAP] * 32 + [DEAR] * 68
    assert attributes.pop("last_updated").startswith("2026-10-24T12:0")  # the tariff's creation
    assert attributes == {
        "current_price": DEAR,
        "unit": "kWh",
        "currency": "GBP",
        "unit_of_measurement": "GBP/kWh",
        "min": CHEAP,
        "max": DEAR,
        "mean": 0.24167,  # (7 h x 0.1 + 17 h x 0.3) / 24 h
        "average": 0.24167,
        "tomorrow_valid": True,
    }
    assert today[0] == {
        "start": "2026-10-24T00:00:00+01:00",
        "end": "2026-10-24T00:15:00+01:00",
        "value": CHEAP,
    }
    assert today[-1]["end"] == tomorrow[0]["start"] == "2026-10-25T00:00:00+01:00"
    # The hour from 01:00 comes twice, first in BST, then in GMT.
    assert [item["start"] for item in tomorrow[3:10]] == [
        "2026-10-25T00:45:00+01:00",
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:15:00+01:00",
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:45:00+01:00",
        "2026-10-25T01:00:00+00:00",
        "2026-10-25T01:15:00+00:00",
    ]
    assert tomorrow[-1]["end"] == "2026-10-26T00:00:00+00:00"


def calendar_events(response) -> list[tuple[str, str, str, str]]:
    """The .ics parsed back by icalendar: (UID, DTSTART, DTEND, SUMMARY) of each event."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    parsed = icalendar.Calendar.from_ical(response.content)
    assert parsed["VERSION"] == "2.0"
    events = []
    for event in parsed.walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        # Written in UTC (`DTSTART:20261023T230000Z`), which every calendar app reads.
        assert event["DTSTART"].to_ical().endswith(b"Z") and event["DTEND"].to_ical()[-1:] == b"Z"
        events.append((str(event["UID"]), _utc(start), _utc(end), str(event["SUMMARY"])))
    return events


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def test_the_calendar_has_the_cheapest_hours_of_each_local_day(site, time_of_day):
    events = calendar_events(site.get(f"/feeds/{time_of_day[2]}/cheapest.ics?hours=3"))
    assert len(events) == 7  # a fixed tariff has prices for every day: a week of them
    summary = "Cheapest 3 h: 0.10000 GBP/kWh average"
    assert [event[1:] for event in events[:3]] == [
        ("2026-10-23T23:00Z", "2026-10-24T02:00Z", summary),  # 00:00-03:00 BST
        ("2026-10-24T23:00Z", "2026-10-25T02:00Z", summary),  # 00:00 BST-02:00 GMT
        ("2026-10-26T00:00Z", "2026-10-26T03:00Z", summary),  # 00:00-03:00 GMT
    ]
    assert events[-1][1] == "2026-10-30T00:00Z"
    assert len({event[0] for event in events}) == 7
    # UIDs stay as long as the windows do, so a calendar app updates rather than duplicates.
    again = calendar_events(site.get(f"/feeds/{time_of_day[2]}/cheapest.ics?hours=3"))
    assert [event[0] for event in again] == [event[0] for event in events]

    # Eight hours on the 24th: the seven cheap ones and the first dear one after them.
    eight = calendar_events(site.get(f"/feeds/{time_of_day[2]}/cheapest.ics?hours=8"))
    assert eight[0][1:] == (
        "2026-10-23T23:00Z",
        "2026-10-24T07:00Z",
        "Cheapest 8 h: 0.12500 GBP/kWh average",
    )
    # ...and on the 25th, whose cheap night is eight hours long.
    assert eight[1][1:3] == ("2026-10-24T23:00Z", "2026-10-25T07:00Z")


def test_evcc_reads_the_15_minute_market_prices_through_the_dst_change(site, market):
    rates = read_as_evcc(site.get(f"/feeds/{market[1]}/evcc.json"))
    start = datetime(2026, 10, 24, 12, tzinfo=UTC)
    expected = [
        (start + timedelta(minutes=15 * i), start + timedelta(minutes=15 * (i + 1)))
        for i in range(192)
    ]
    assert [(a, b) for a, b, _ in rates] == expected
    assert [value for _, _, value in rates] == [float(market_price(a)) for a, _ in expected]


def test_home_assistant_reads_the_market_day_of_100_quarter_hours(site, market):
    state, attributes = read_as_home_assistant(site.get(f"/feeds/{market[1]}/homeassistant.json"))
    now_slot = datetime(2026, 10, 24, 12, tzinfo=UTC)
    assert state == str(float(market_price(now_slot)))
    tomorrow = attributes["raw_tomorrow"]
    assert len(attributes["raw_today"]) == 96 and len(tomorrow) == 100
    assert attributes["tomorrow_valid"] is True
    first = datetime(2026, 10, 24, 23, tzinfo=UTC)
    assert [item["value"] for item in tomorrow] == [
        float(market_price(first + timedelta(minutes=15 * i))) for i in range(100)
    ]
    # The cheap stretch: 01:00 BST, the hour again in GMT, then 02:00 GMT.
    cheap = [item for item in tomorrow if item["value"] == 0.05]
    assert (cheap[0]["start"], cheap[-1]["end"]) == (
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T02:00:00+00:00",
    )
    assert attributes["min"] == 0.07 and attributes["max"] == 0.207


def test_the_calendar_of_a_market_tariff_ends_where_its_prices_do(site, market):
    events = calendar_events(site.get(f"/feeds/{market[1]}/cheapest.ics?hours=2"))
    # 26 October is priced only until 13:00: no day of it.
    assert [event[1:] for event in events] == [
        ("2026-10-24T03:00Z", "2026-10-24T05:00Z", "Cheapest 2 h: 0.07000 GBP/kWh average"),
        ("2026-10-25T00:00Z", "2026-10-25T02:00Z", "Cheapest 2 h: 0.05000 GBP/kWh average"),
    ]


def test_a_tariff_change_shows_on_the_next_fetch(site):
    location_id = site.location()
    tariff = site.post("/tariffs", tariff_body(location_id, TIME_OF_DAY))
    token = site.feed_token(location_id)
    assert {value for _, _, value in read_as_evcc(site.get(f"/feeds/{token}/evcc.json"))} == {
        CHEAP,
        DEAR,
    }
    site.patch(f"/tariffs/{tariff['id']}", {"schedule": flat(0.25)})
    assert {value for _, _, value in read_as_evcc(site.get(f"/feeds/{token}/evcc.json"))} == {0.25}
    state, attributes = read_as_home_assistant(site.get(f"/feeds/{token}/homeassistant.json"))
    assert state == "0.25" and attributes["mean"] == 0.25


def test_new_market_prices_show_on_the_next_fetch(site):
    location_id = site.location()
    source = "mrs_" + "fc" * 12
    site.post(
        "/tariffs",
        tariff_body(location_id, market_schedule(), market_rates=True, market_source_id=source),
    )
    token = site.feed_token(location_id)
    database = Database(site.database_url, pool_size=1)
    try:
        publish(database, source, MARKET_START, ["0.2"] * MARKET_SLOTS)
        assert {v for _, _, v in read_as_evcc(site.get(f"/feeds/{token}/evcc.json"))} == {0.2}
        state, _ = read_as_home_assistant(site.get(f"/feeds/{token}/homeassistant.json"))
        assert state == "0.2"
        # The quarter hour the clock is in gets a corrected price.
        publish(database, source, datetime(2026, 10, 24, 12, tzinfo=UTC), ["0.15"])
    finally:
        database.dispose()
    rates = read_as_evcc(site.get(f"/feeds/{token}/evcc.json"))
    assert [value for _, _, value in rates[:2]] == [0.15, 0.2]
    state, attributes = read_as_home_assistant(site.get(f"/feeds/{token}/homeassistant.json"))
    assert (state, attributes["min"]) == ("0.15", 0.15)


def test_market_prices_that_stop_tonight_give_what_there_is(site):
    # Published until the end of 24 October (local); a source with no history forecasts
    # nothing past that.
    location_id = site.location()
    source = "mrs_" + "fb" * 12
    site.post(
        "/tariffs",
        tariff_body(location_id, market_schedule(), market_rates=True, market_source_id=source),
    )
    token = site.feed_token(location_id)
    database = Database(site.database_url, pool_size=1)
    try:
        publish(database, source, MARKET_START, [market_price(MARKET_START)] * 96)
    finally:
        database.dispose()
    rates = read_as_evcc(site.get(f"/feeds/{token}/evcc.json"))
    assert runs(rates) == [("2026-10-24T12:00Z", "2026-10-24T23:00Z", 0.2)]
    state, attributes = read_as_home_assistant(site.get(f"/feeds/{token}/homeassistant.json"))
    assert (state, len(attributes["raw_today"])) == ("0.2", 96)
    assert (attributes["tomorrow_valid"], attributes["raw_tomorrow"], attributes["tomorrow"]) == (
        False,
        [],
        [],
    )
    events = calendar_events(site.get(f"/feeds/{token}/cheapest.ics?hours=1"))
    assert [event[1:3] for event in events] == [("2026-10-23T23:00Z", "2026-10-24T00:00Z")]
