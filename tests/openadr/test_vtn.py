"""GET /openadr/3.0/programs and /events: a location's programs (one per tariff direction)
and their events (the next 48 hours of prices), as a client of that location sees them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from tariffconnect.openadr import clients
from tests.openadr.support import (
    NOW,
    assert_problem,
    connect_two_rate,
    freeze,
    make_client,
    make_location,
    token,
)
from tests.prices.test_prices_api import connect
from tests.tariffs.support import flat, tariff_body, two_rate

BASE = "/openadr/3.0"
PRICE = {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE", "units": "KWH"}
CONFIDENCE = {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE_CONFIDENCE"}


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)


@pytest.fixture
def tariff(client, tenant, location):
    return connect_two_rate(client, tenant, location, display_name="Two Rate")


@pytest.fixture
def bearer(client, database, location, tariff, monkeypatch):
    freeze(monkeypatch)
    return token(client, make_client(database, location["id"]))


def intervals(event):
    """(start, duration, payloads) of each interval, in order, their ids checked."""
    assert [i["id"] for i in event["intervals"]] == list(range(len(event["intervals"])))
    return [
        (
            i["intervalPeriod"]["start"],
            i["intervalPeriod"]["duration"],
            [(p["type"], p["values"]) for p in i["payloads"]],
        )
        for i in event["intervals"]
    ]


# The two-rate tariff from Wednesday 10:00Z (the quarter hour NOW is in) to Friday 10:00Z:
# London is at UTC+0 in January, so its 00:30-07:30 cheap window is at the same hours in UTC.
TWO_RATE_48H = [
    ("2031-01-15T10:00:00Z", "PT14H30M", [("PRICE", [0.2755])]),
    ("2031-01-16T00:30:00Z", "PT7H", [("PRICE", [0.085])]),
    ("2031-01-16T07:30:00Z", "PT17H", [("PRICE", [0.2755])]),
    ("2031-01-17T00:30:00Z", "PT7H", [("PRICE", [0.085])]),
    ("2031-01-17T07:30:00Z", "PT2H30M", [("PRICE", [0.2755])]),
]


def test_a_location_with_an_import_tariff_has_one_program(client, bearer, location, tariff):
    response = client.get(f"{BASE}/programs", headers=bearer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {
            "id": f"{location['id']}_import",
            "createdDateTime": location["time_created"],
            "modificationDateTime": tariff["time_updated"],
            "objectType": "PROGRAM",
            "programName": f"{location['id']} IMPORT",
            "programLongName": "Two Rate",
            "country": "GB",
            # From the tariff's connection, open-ended (OpenADR's PT0S) without a contract end.
            "intervalPeriod": {"start": tariff["time_created"], "duration": "PT0S"},
            "bindingEvents": False,
            "localPrice": False,
            "payloadDescriptors": [PRICE | {"currency": "GBP"}, CONFIDENCE],
            "targets": None,
        }
    ]
    one = client.get(f"{BASE}/programs/{location['id']}_import", headers=bearer)
    assert one.status_code == 200
    assert one.json() == response.json()[0]


def test_the_event_is_the_next_48_hours_of_prices(client, bearer, location, tariff):
    response = client.get(f"{BASE}/events", headers=bearer)
    assert response.status_code == 200, response.text
    [event] = response.json()
    assert intervals(event) == TWO_RATE_48H
    assert {k: v for k, v in event.items() if k != "intervals"} == {
        "id": f"{location['id']}_import_prices",
        "createdDateTime": location["time_created"],
        # The window rolls on each quarter hour: the event changes then at the latest.
        "modificationDateTime": "2031-01-15T10:00:00Z",
        "objectType": "EVENT",
        "programID": f"{location['id']}_import",
        "eventName": "IMPORT prices, next 48 h",
        "priority": None,
        "targets": None,
        "reportDescriptors": None,
        "payloadDescriptors": [PRICE | {"currency": "GBP"}, CONFIDENCE],
        "intervalPeriod": {"start": "2031-01-15T10:00:00Z", "duration": "PT14H30M"},
    }
    by_program = client.get(
        f"{BASE}/events", params={"programID": f"{location['id']}_import"}, headers=bearer
    )
    assert by_program.json() == [event]
    one = client.get(f"{BASE}/events/{event['id']}", headers=bearer)
    assert one.status_code == 200
    assert one.json() == event


def test_a_new_tariff_shows_on_the_next_poll(client, tenant, bearer, location, tariff):
    first = client.get(f"{BASE}/events", headers=bearer).json()
    assert intervals(first[0]) == TWO_RATE_48H
    patch = {"schedule": flat(0.19)}
    response = client.patch(f"/tariffs/{tariff['id']}", json=patch, headers=tenant.test)
    assert response.status_code == 200, response.text
    [event] = client.get(f"{BASE}/events", headers=bearer).json()
    assert intervals(event) == [("2031-01-15T10:00:00Z", "PT48H", [("PRICE", [0.19])])]
    [program] = client.get(f"{BASE}/programs", headers=bearer).json()
    assert program["modificationDateTime"] == response.json()["time_updated"]
    # The tariff's change is older than this (frozen, future) quarter hour, its window start.
    assert event["modificationDateTime"] == "2031-01-15T10:00:00Z"


def test_an_export_tariff_adds_an_export_program_and_event(
    client, tenant, bearer, location, tariff
):
    body = tariff_body(location["id"], flat(0.15), tariff_direction="EXPORT")
    connect(client, tenant, body)
    programs = client.get(f"{BASE}/programs", headers=bearer).json()
    assert [(p["id"], p["programName"]) for p in programs] == [
        (f"{location['id']}_import", f"{location['id']} IMPORT"),
        (f"{location['id']}_export", f"{location['id']} EXPORT"),
    ]
    export_descriptor = {**PRICE, "payloadType": "EXPORT_PRICE", "currency": "GBP"}
    assert programs[1]["payloadDescriptors"] == [export_descriptor, CONFIDENCE]
    events = client.get(f"{BASE}/events", headers=bearer).json()
    assert [e["id"] for e in events] == [
        f"{location['id']}_import_prices",
        f"{location['id']}_export_prices",
    ]
    assert intervals(events[1]) == [("2031-01-15T10:00:00Z", "PT48H", [("EXPORT_PRICE", [0.15])])]
    only_export = client.get(
        f"{BASE}/events", params={"programID": f"{location['id']}_export"}, headers=bearer
    )
    assert only_export.json() == [events[1]]
    paged = client.get(f"{BASE}/events", params={"skip": 1, "limit": 1}, headers=bearer)
    assert paged.json() == [events[1]]
    first = client.get(f"{BASE}/programs", params={"limit": 1}, headers=bearer)
    assert first.json() == [programs[0]]
    assert client.get(f"{BASE}/programs", params={"skip": 2}, headers=bearer).json() == []


def test_another_locations_programs_and_events_are_404(
    client, tenant, other_tenant, database, bearer
):
    # Another location of the same account, of the account's other mode, of another account.
    others = [
        make_location(client, tenant),
        make_location(client, tenant, live=True),
        make_location(client, other_tenant),
    ]
    for other in others:
        headers = tenant.live if other["live_mode"] else tenant.test
        if other in others[2:]:
            headers = other_tenant.test
        body = tariff_body(other["id"], two_rate(0.1, 0.2))
        assert client.post("/tariffs", json=body, headers=headers).status_code == 201
        program = f"{other['id']}_import"
        assert_problem(
            client.get(f"{BASE}/programs/{program}", headers=bearer), 404, "program_not_found"
        )
        event = client.get(f"{BASE}/events/{program}_prices", headers=bearer)
        assert_problem(event, 404, "event_not_found")
        filtered = client.get(f"{BASE}/events", params={"programID": program}, headers=bearer)
        assert filtered.status_code == 200
        assert filtered.json() == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/programs/nope", "program_not_found"),
        ("/events/nope", "event_not_found"),
        ("/events/loc_0_import", "event_not_found"),
    ],
)
def test_unknown_ids_are_404(client, bearer, path, code):
    body = assert_problem(client.get(BASE + path, headers=bearer), 404, code)
    assert body["title"] == "Not Found"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": 51}, "limit_invalid"),
        ({"limit": -1}, "limit_invalid"),
        ({"skip": -1}, "skip_invalid"),
        ({"skip": "x"}, "skip_invalid"),
    ],
)
@pytest.mark.parametrize("path", ["/programs", "/events"])
def test_bad_paging_is_400(client, bearer, path, query, code):
    assert_problem(client.get(BASE + path, params=query, headers=bearer), 400, code)


def test_a_location_without_a_tariff_has_no_programs_and_no_events(
    client, tenant, database, monkeypatch
):
    freeze(monkeypatch)
    location = make_location(client, tenant)
    bearer = token(client, make_client(database, location["id"]))
    assert client.get(f"{BASE}/programs", headers=bearer).json() == []
    assert client.get(f"{BASE}/events", headers=bearer).json() == []


def test_subscriptions_are_not_offered(client, bearer):
    for method in ("GET", "POST"):
        response = client.request(method, f"{BASE}/subscriptions", headers=bearer)
        body = assert_problem(response, 501, "subscriptions_not_supported")
        assert body["detail"] == "This VTN does not offer subscriptions; poll instead."
    assert_problem(client.get(f"{BASE}/subscriptions"), 401, "access_token_missing")


def test_the_window_starts_at_the_current_quarter_hour(client, bearer, monkeypatch):
    freeze(monkeypatch, datetime(2031, 1, 15, 10, 44, 59, tzinfo=UTC))
    [event] = client.get(f"{BASE}/events", headers=bearer).json()
    assert intervals(event)[0] == ("2031-01-15T10:30:00Z", "PT14H", [("PRICE", [0.2755])])
    assert intervals(event)[-1] == ("2031-01-17T07:30:00Z", "PT3H", [("PRICE", [0.2755])])
    assert NOW.minute == 7  # the other tests' window: 10:00Z


def test_a_database_failure_is_a_503_problem(client, bearer, monkeypatch):
    def lost(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(clients, "_active", lost)
    body = assert_problem(client.get(f"{BASE}/events", headers=bearer), 503, "database_unavailable")
    assert "server closed" not in str(body)
