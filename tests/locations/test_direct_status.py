"""A location's DIRECT elements: tariff_status PENDING before the first tariff, ERROR once
pulls failed long enough, and the consent on the element, on every read of the location."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.locations.direct_support import PROVIDER_ID, connect_direct
from tests.locations.support import NOT_CONNECTED

CONSENTED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()["id"]


def reads(client, tenant, location_id):
    """The location as GET /locations/{id} and as GET /locations list it (both the same)."""
    one = client.get(f"/locations/{location_id}", headers=tenant.test)
    assert one.status_code == 200, one.text
    listed = client.get("/locations", headers=tenant.test).json()["data"]
    assert [body for body in listed if body["id"] == location_id] == [one.json()]
    return one.json()


def test_pending_before_the_first_tariff(client, database, tenant, location):
    connect_direct(database, tenant.account_id, location, status="PENDING")
    body = reads(client, tenant, location)
    assert body["tariff_status"] == NOT_CONNECTED | {"commodity_import": "PENDING"}
    assert body["tariff_elements"] == []


def test_connected_with_its_consent(client, database, tenant, location):
    _, tariff_id = connect_direct(
        database,
        tenant.account_id,
        location,
        status="CONNECTED",
        with_tariff=True,
        consent_given_at=CONSENTED,
    )
    body = reads(client, tenant, location)
    assert body["tariff_status"] == NOT_CONNECTED | {"commodity_import": "CONNECTED"}
    assert body["tariff_elements"] == [
        {
            "tariff_id": tariff_id,
            "status": "CONNECTED",
            "type": "COMMODITY",
            "direction": "IMPORT",
            "provider_id": PROVIDER_ID,
            "connection_type": "DIRECT",
            "consents": {
                "provider_tariff": True,
                "provider_bills": False,
                "provider_postal_address": False,
                "provider_grid_meter": False,
                "device_telemetry": False,
                "device_control": False,
                "time_created": "2026-11-30T09:15:00Z",
            },
        }
    ]


def test_error_while_the_last_tariff_stays(client, database, tenant, location):
    _, tariff_id = connect_direct(
        database,
        tenant.account_id,
        location,
        status="ERROR",
        with_tariff=True,
        consent_given_at=CONSENTED,
    )
    body = reads(client, tenant, location)
    assert body["tariff_status"] == NOT_CONNECTED | {"commodity_import": "ERROR"}
    assert [(e["tariff_id"], e["status"]) for e in body["tariff_elements"]] == [
        (tariff_id, "ERROR")
    ]


def test_a_pending_reconnect_keeps_the_connected_tariff(client, database, tenant, location):
    # A tariff already in and a connection PENDING again (reconnected): still CONNECTED.
    _, tariff_id = connect_direct(
        database, tenant.account_id, location, status="PENDING", with_tariff=True
    )
    body = reads(client, tenant, location)
    assert body["tariff_status"] == NOT_CONNECTED | {"commodity_import": "CONNECTED"}
    assert [(e["tariff_id"], e["status"], e["consents"]) for e in body["tariff_elements"]] == [
        (tariff_id, "CONNECTED", None)
    ]


def test_older_releases_list_element_ids(client, database, tenant, location):
    _, tariff_id = connect_direct(
        database, tenant.account_id, location, status="ERROR", with_tariff=True
    )
    response = client.get(
        f"/locations/{location}", headers=tenant.test | {"Flatpeak-Version": "2025-09-14.anode"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["tariff_elements"] == [tariff_id]
    assert response.json()["tariff_status"]["commodity_import"] == "ERROR"


def test_another_accounts_connection_is_not_seen(client, database, tenant, other_tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    mine = client.post("/locations", json=body, headers=tenant.test).json()["id"]
    theirs = client.post("/locations", json=body, headers=other_tenant.test).json()["id"]
    connect_direct(database, other_tenant.account_id, theirs, status="PENDING")
    assert reads(client, tenant, mine)["tariff_status"] == NOT_CONNECTED
    response = client.get(f"/locations/{theirs}", headers=tenant.test)
    assert response.status_code == 404
