"""DELETE /locations/{id} (with its cascades) and GET /locations."""

from __future__ import annotations

import pytest

from tariffconnect.connect.models import ConnectSession
from tariffconnect.devices.models import Device
from tests.helpers import assert_error, assert_scoped, statements
from tests.locations.support import (
    add_connect_session,
    add_device,
    create_customer,
    create_location,
    device_links,
    events_of,
    row_exists,
)


def test_delete_scoping_matrix(client, tenant, other_tenant):
    headers = tenant.test
    location = create_location(client, headers)
    path = f"/locations/{location['id']}"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "DELETE",
        path,
        not_found_code="location_not_found",
        context="api.location_delete",
    )
    assert client.get(path, headers=headers).json() == location


def test_delete_cascades_to_connect_sessions_and_device_links(client, database, tenant):
    headers = tenant.test
    customer_id = create_customer(client, headers)
    location = create_location(client, headers, customer_id=customer_id)
    session_id = add_connect_session(database, tenant.account_id, location["id"])
    device_id = add_device(database, tenant.account_id, location["id"])
    location = client.get(f"/locations/{location['id']}", headers=headers).json()
    assert location["devices"] == [device_id]

    response = client.delete(f"/locations/{location['id']}", headers=headers)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "id": location["id"],
        "object": "location",
        "deleted": True,
        "message": "Accepted",
    }
    assert not row_exists(database, ConnectSession, session_id)
    assert device_links(database, location["id"]) == []
    assert row_exists(database, Device, device_id)  # the device itself stays
    assert client.get(f"/customers/{customer_id}", headers=headers).json()["locations"] == []
    assert_error(
        client.get(f"/locations/{location['id']}", headers=headers), 404, "location_not_found"
    )
    assert_error(
        client.delete(f"/locations/{location['id']}", headers=headers),
        404,
        "location_not_found",
        context="api.location_delete",
    )
    assert events_of(database, location["id"]) == [
        ("location.create", {**location, "devices": []}),
        ("location.delete", location),
    ]


@pytest.fixture
def listed(client, tenant):
    """Five locations, two of them for one customer; newest first."""
    headers = tenant.test
    customer_id = create_customer(client, headers)
    made = [
        create_location(client, headers, reference_id="a"),
        create_location(client, headers, reference_id="b", customer_id=customer_id),
        create_location(client, headers, reference_id="a"),
        create_location(client, headers, customer_id=customer_id),
        create_location(client, headers),
    ]
    return headers, customer_id, made[::-1]


def test_list_newest_first(client, listed):
    headers, _, newest_first = listed
    body = client.get("/locations", headers=headers).json()
    assert body == {"object": "list", "url": "/locations", "has_more": False, "data": newest_first}


def test_list_pages(client, listed):
    headers, _, newest_first = listed
    first = client.get("/locations", params={"limit": 2}, headers=headers).json()
    assert (first["has_more"], first["data"]) == (True, newest_first[:2])
    params = {"limit": 2, "starting_after": first["data"][-1]["id"]}
    second = client.get("/locations", params=params, headers=headers).json()
    assert (second["has_more"], second["data"]) == (True, newest_first[2:4])
    params = {"limit": 2, "ending_before": second["data"][0]["id"]}
    back = client.get("/locations", params=params, headers=headers).json()
    assert (back["has_more"], back["data"]) == (False, newest_first[:2])


def test_list_filters(client, listed):
    headers, customer_id, newest_first = listed

    def ids(**params):
        body = client.get("/locations", params=params, headers=headers).json()
        return [location["id"] for location in body["data"]]

    by_reference = [loc["id"] for loc in newest_first if loc["reference_id"] == "a"]
    by_customer = [loc["id"] for loc in newest_first if loc["customer_id"] == customer_id]
    assert ids(reference_id="a") == by_reference and len(by_reference) == 2
    assert ids(customer_id=customer_id) == by_customer and len(by_customer) == 2
    assert ids(customer_id=customer_id, reference_id="b") == by_customer[1:]
    assert ids(reference_id="none") == []
    assert ids(customer_id="cus_000000000000000000000000") == []


def test_list_is_scoped(client, tenant, other_tenant, listed):
    _, customer_id, _ = listed
    anonymous = client.get("/locations")
    assert_error(anonymous, 401, "authentication_required", context="api.location_list")
    for headers in (other_tenant.test, other_tenant.live, tenant.live):
        for params in ({}, {"customer_id": customer_id}):
            body = client.get("/locations", params=params, headers=headers).json()
            assert body["data"] == [], params


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "limit_invalid"),
        ({"limit": 101}, "limit_invalid"),
        ({"starting_after": "nope"}, "starting_after_invalid"),
        (
            {"starting_after": "loc_000000000000000000000000", "ending_before": "loc_0"},
            "ending_before_invalid",
        ),
        (
            {
                "starting_after": "loc_000000000000000000000000",
                "ending_before": "loc_000000000000000000000000",
            },
            "pagination_cursor_conflict",
        ),
        ({"reference_id": "x" * 256}, "reference_id_invalid"),
        ({"reference_id": "a\x00"}, "reference_id_invalid"),
        ({"customer_id": "cus\x00"}, "customer_id_invalid"),
    ],
)
def test_list_invalid_params(client, tenant, params, code):
    response = client.get("/locations", params=params, headers=tenant.test)
    assert_error(response, 400, code, context="api.location_list")


def test_list_loads_devices_without_a_query_per_location(client, database, tenant):
    headers = tenant.test

    def statements_for_page() -> int:
        with statements(database.engine) as seen:
            response = client.get("/locations", headers=headers)
        assert response.status_code == 200
        return len(seen)

    location = create_location(client, headers)
    add_device(database, tenant.account_id, location["id"])
    one = statements_for_page()
    for _ in range(5):
        location = create_location(client, headers)
        add_device(database, tenant.account_id, location["id"])
    body = client.get("/locations", headers=headers).json()
    assert [len(loc["devices"]) for loc in body["data"]] == [1] * 6
    assert statements_for_page() == one
