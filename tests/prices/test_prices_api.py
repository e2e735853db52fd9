"""POST /prices and POST /prices/{location_id}: shapes, offsets, sums and every refusal."""

import threading
from datetime import datetime, timedelta

import pytest

from tariffconnect.core.timeutil import utcnow
from tests.helpers import assert_error, assert_scoped
from tests.market.stored import publish
from tests.tariffs.support import flat, tariff_body, two_rate, window


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


def connect(client, tenant, body):
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def prices(client, tenant, body):
    response = client.post("/prices", json=body, headers=tenant.test)
    assert response.status_code == 200, response.text
    return response.json()


def test_two_rate_day_in_the_requests_offset(client, tenant, location):
    connect(
        client,
        tenant,
        tariff_body(location["id"], two_rate(0.085, 0.2755), standing_charge={"value": 0.5274}),
    )
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00+01:00",
        "end_time": "2026-06-02T00:00:00+01:00",
    }
    result = prices(client, tenant, body)
    assert [(d["valid_from"], d["valid_to"], d["price"]) for d in result["data"]] == [
        (
            "2026-06-01T00:00:00+01:00",
            "2026-06-01T00:30:00+01:00",
            {"value": 0.2755, "confidence": 1.0},
        ),
        (
            "2026-06-01T00:30:00+01:00",
            "2026-06-01T07:30:00+01:00",
            {"value": 0.085, "confidence": 1.0},
        ),
        (
            "2026-06-01T07:30:00+01:00",
            "2026-06-02T00:00:00+01:00",
            {"value": 0.2755, "confidence": 1.0},
        ),
    ]
    assert list(result) == [  # in the wire order
        "id",
        "object",
        "live_mode",
        "location_id",
        "device_id",
        "location_timezone",
        "currency_code",
        "tariff_direction",
        "last_updated",
        "next_update",
        "request",
        "data",
        "standing_charge",
        "time_created",
        "account_id",
    ]
    assert result["object"] == "price" and result["id"].startswith("prs_")
    assert result["location_timezone"] == "Europe/London" and result["currency_code"] == "GBP"
    assert result["standing_charge"] == {"value": 0.5274, "unit": "per_day"}
    assert result["request"] == {
        "location_id": location["id"],
        "device_id": None,
        "start_time": "2026-06-01T00:00:00+01:00",
        "end_time": "2026-06-02T00:00:00+01:00",
        "tariff_direction": "IMPORT",
    }


def test_utc_request_gets_utc_answers_and_the_end_offset_wins(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T03:00:00Z",
    }
    data = prices(client, tenant, body)["data"]
    # 00:30-07:30 London summer time is 23:30-06:30 UTC: the whole window is cheap.
    assert [(d["valid_from"], d["valid_to"], d["price"]["value"]) for d in data] == [
        ("2026-06-01T00:00:00Z", "2026-06-01T03:00:00Z", 0.1)
    ]
    mixed = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T03:00:00+02:00",
    }
    data = prices(client, tenant, mixed)["data"]
    assert data[0]["valid_from"] == "2026-06-01T02:00:00+02:00"
    assert data[-1]["valid_to"] == "2026-06-01T03:00:00+02:00"


def test_commodity_and_non_commodity_are_summed(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.2)))
    connect(
        client,
        tenant,
        tariff_body(
            location["id"],
            two_rate(0.01, 0.05),
            tariff_type="NON_COMMODITY",
            standing_charge={"value": 0.1},
        ),
    )
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00+01:00",
        "end_time": "2026-06-01T08:00:00+01:00",
    }
    result = prices(client, tenant, body)
    assert [d["price"]["value"] for d in result["data"]] == [0.25, 0.21, 0.25]
    assert result["standing_charge"] == {"value": 0.1, "unit": "per_day"}


def test_export_direction_prices_the_export_tariff(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    connect(client, tenant, tariff_body(location["id"], flat(0.15), tariff_direction="EXPORT"))
    body = {
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T01:00:00Z",
        "tariff_direction": "EXPORT",
    }
    response = client.post(f"/prices/{location['id']}", json=body, headers=tenant.test)
    assert response.status_code == 200
    assert [d["price"]["value"] for d in response.json()["data"]] == [0.15]


def test_start_defaults_to_now(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    end = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = prices(client, tenant, {"location_id": location["id"], "end_time": end})
    first = datetime.fromisoformat(result["data"][0]["valid_from"])
    assert abs((first - utcnow()).total_seconds()) < 60
    assert result["data"][-1]["valid_to"] == end


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-09-01T00:00:01Z"},
            400,
            "time_window_too_long",
        ),
        (
            {"start_time": "2026-06-02T00:00:00Z", "end_time": "2026-06-01T00:00:00Z"},
            400,
            "time_window_invalid",
        ),
        (
            {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T00:00:00Z"},
            400,
            "time_window_invalid",
        ),
        (
            {"start_time": "2026-06-01T00:00:00", "end_time": "2026-06-02T00:00:00Z"},
            400,
            "start_time_invalid",
        ),
        ({"start_time": "2026-06-01T00:00:00Z"}, 400, "end_time_missing"),
        (
            {"start_time": "9999-12-01T00:00:00Z", "end_time": "9999-12-02T00:00:00Z"},
            400,
            "time_window_invalid",
        ),
        (
            {"start_time": "1900-01-01T00:00:00Z", "end_time": "1900-01-02T00:00:00Z"},
            400,
            "time_window_invalid",
        ),
        (
            {
                "start_time": "2026-06-01T00:00:00Z",
                "end_time": "2026-06-02T00:00:00Z",
                "device_id": "dev_" + "0" * 24,
            },
            404,
            "device_not_found",
        ),
        (
            {"end_time": "2030-06-02T00:00:00Z", "tariff_direction": "LOCAL"},
            400,
            "tariff_direction_invalid",
        ),
    ],
)
def test_refusals(client, tenant, location, body, status, code):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    response = client.post(
        "/prices", json={"location_id": location["id"]} | body, headers=tenant.test
    )
    assert_error(response, status, code, context="api.price_retrieve")


def test_exactly_90_days_is_allowed(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-08-30T00:00:00Z",
    }
    assert len(prices(client, tenant, body)["data"]) == 1


def test_no_tariff_connected_is_422(client, tenant, location):
    body = {
        "location_id": location["id"],
        "end_time": "2030-01-01T00:00:00Z",
        "start_time": "2029-12-31T00:00:00Z",
    }
    assert_error(client.post("/prices", json=body, headers=tenant.test), 422, "no_tariff_connected")


def test_matrix(client, tenant, other_tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T01:00:00Z"}
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        f"/prices/{location['id']}",
        json=body,
        not_found_code="location_not_found",
        context="api.price_retrieve_for_location",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        "/prices",
        json=body | {"location_id": location["id"]},
        not_found_code="location_not_found",
        context="api.price_retrieve",
    )


def test_market_tariff_uses_market_prices_and_refuses_gaps(client, tenant, database, location):
    source = "mrs_" + "a1" * 12
    surcharge = window(
        "00:00:00", "00:00:00", None, surcharge_fixed=0.02, surcharge_percentage=0.05
    )
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    connect(
        client,
        tenant,
        tariff_body(location["id"], schedule, market_rates=True, market_source_id=source),
    )
    start = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
    publish(database, source, start, ["0.10", "0.10", "-0.02", "0.30"])
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T01:00:00Z",
    }
    data = prices(client, tenant, body)["data"]
    assert [(d["valid_from"], d["valid_to"], d["price"]["value"]) for d in data] == [
        ("2026-06-01T00:00:00Z", "2026-06-01T00:30:00Z", 0.126),
        ("2026-06-01T00:30:00Z", "2026-06-01T00:45:00Z", 0.0),
        ("2026-06-01T00:45:00Z", "2026-06-01T01:00:00Z", 0.336),
    ]
    beyond = body | {"end_time": "2026-06-01T01:15:00Z"}
    assert_error(client.post("/prices", json=beyond, headers=tenant.test), 422, "no_price_data")


def test_market_values_are_rounded_to_5_decimals(client, tenant, database, location):
    source = "mrs_" + "b2" * 12
    surcharge = window("00:00:00", "00:00:00", None, surcharge_fixed=0.0, surcharge_percentage=0.05)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    connect(
        client,
        tenant,
        tariff_body(location["id"], schedule, market_rates=True, market_source_id=source),
    )
    start = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
    publish(database, source, start, ["0.12345"], minutes=60)
    body = {
        "location_id": location["id"],
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-01T01:00:00Z",
    }
    # 0.12345 x 1.05 = 0.1296225, rounded half up to 5 decimals.
    assert [d["price"]["value"] for d in prices(client, tenant, body)["data"]] == [0.12962]


def test_an_idempotency_key_is_accepted_and_the_answer_computed_again(client, tenant, location):
    # POST /prices writes nothing: a retry with the same key is simply answered again.
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {
        "location_id": location["id"],
        "start_time": "2036-03-01T00:00:00Z",
        "end_time": "2036-03-01T01:00:00Z",
    }
    headers = tenant.test | {"Idempotency-Key": "prices-retry-1"}
    first, again = (client.post("/prices", json=body, headers=headers) for _ in range(2))
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert (
        first.json()["data"]
        == again.json()["data"]
        == [
            {
                "valid_from": "2036-03-01T00:00:00Z",
                "valid_to": "2036-03-01T01:00:00Z",
                "price": {"value": 0.3, "confidence": 1.0},
            }
        ]
    )
    assert first.json()["id"] != again.json()["id"]


def test_prices_never_wait_for_the_sqlite_writer(client, tenant, database, location):
    if not database.is_sqlite:
        pytest.skip("the one-writer queue is SQLite's")
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {
        "location_id": location["id"],
        "start_time": "2036-03-01T00:00:00Z",
        "end_time": "2036-03-01T01:00:00Z",
    }
    answers = []
    with database._sqlite_writer:  # a long write of this process is under way
        asking = threading.Thread(
            target=lambda: answers.append(client.post("/prices", json=body, headers=tenant.test))
        )
        asking.start()
        asking.join(timeout=10)
        answered = not asking.is_alive()
    asking.join()
    assert answered and answers[0].status_code == 200
