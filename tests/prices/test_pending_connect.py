"""Prices of a DIRECT element: 422 `pending_connect` before its first tariff, the last known
tariff at confidence 0.5 once pulls have failed long enough (ERROR), and PATCH refused."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error
from tests.locations.direct_support import connect_direct
from tests.tariffs.support import flat, tariff_body

WINDOW = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T02:00:00Z"}


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()["id"]


def ask(client, tenant, location_id, **extra):
    return client.post(
        "/prices", json={"location_id": location_id, **WINDOW, **extra}, headers=tenant.test
    )


def test_pending_connect_while_the_first_pull_runs(client, database, tenant, location):
    connect_direct(database, tenant.account_id, location, status="PENDING")
    body = assert_error(ask(client, tenant, location), 422, "pending_connect")
    assert body["message"] == (
        f"The IMPORT tariff of location {location} is still being read from its provider; "
        "ask again in a minute."
    )
    # The other direction has nothing pending: the usual answer.
    assert_error(
        ask(client, tenant, location, tariff_direction="EXPORT"), 422, "no_tariff_connected"
    )
    # POST /prices/{location_id} shares the code.
    zero = client.post(
        f"/prices/{location}",
        json={"start_time": WINDOW["start_time"], "end_time": WINDOW["end_time"]},
        headers=tenant.test,
    )
    assert_error(zero, 422, "pending_connect")


def test_pending_with_another_element_connected(client, database, tenant, location):
    # A NON_COMMODITY tariff in, the COMMODITY one still pending: not yet a full price.
    response = client.post(
        "/tariffs",
        json=tariff_body(location, flat(0.05), tariff_type="NON_COMMODITY"),
        headers=tenant.test,
    )
    assert response.status_code == 201, response.text
    connect_direct(database, tenant.account_id, location, status="PENDING")
    assert_error(ask(client, tenant, location), 422, "pending_connect")


def test_error_keeps_the_last_tariff_at_half_confidence(client, database, tenant, location):
    connect_direct(database, tenant.account_id, location, status="ERROR", with_tariff=True)
    response = ask(client, tenant, location)
    assert response.status_code == 200, response.text
    assert [(d["valid_from"], d["valid_to"], d["price"]) for d in response.json()["data"]] == [
        ("2026-06-01T00:00:00Z", "2026-06-01T02:00:00Z", {"value": 0.3, "confidence": 0.5})
    ]


def test_connected_prices_are_certain(client, database, tenant, location):
    connect_direct(database, tenant.account_id, location, status="CONNECTED", with_tariff=True)
    response = ask(client, tenant, location)
    assert response.status_code == 200, response.text
    assert [d["price"] for d in response.json()["data"]] == [{"value": 0.3, "confidence": 1.0}]


def test_a_direct_tariff_is_not_editable(client, database, tenant, location):
    _, tariff_id = connect_direct(
        database, tenant.account_id, location, status="CONNECTED", with_tariff=True
    )
    before = client.get(f"/tariffs/{tariff_id}", headers=tenant.test).json()
    response = client.patch(
        f"/tariffs/{tariff_id}", json={"display_name": "Mine"}, headers=tenant.test
    )
    body = assert_error(response, 409, "tariff_not_editable")
    assert body["message"] == (
        f"Tariff {tariff_id} is read from its provider (connection_type DIRECT) and kept "
        "current by TariffConnect; connect the location again to change it."
    )
    assert client.get(f"/tariffs/{tariff_id}", headers=tenant.test).json() == before


@pytest.mark.parametrize(("status", "confidence"), [("ERROR", 0.5), ("CONNECTED", 1.0)])
def test_schedules_price_a_stale_tariff_as_prices_do(
    client, database, tenant, location, status, confidence
):
    connect_direct(database, tenant.account_id, location, status=status, with_tariff=True)
    response = client.post(
        f"/schedules/duration/{location}",
        json=WINDOW | {"segment": "LOW", "duration": 30},
        headers=tenant.test,
    )
    assert response.status_code == 200, response.text
    assert [(d["start_time"], d["end_time"], d["tariff"]) for d in response.json()["data"]] == [
        (
            "2026-06-01T00:00:00Z",
            "2026-06-01T00:30:00Z",
            {"rate_avg": 0.3, "confidence": confidence},
        )
    ]
