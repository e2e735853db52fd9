"""GET and PATCH /locations/{id}."""

from __future__ import annotations

import pytest

from tariffconnect.market import sources
from tests.helpers import assert_error, assert_scoped
from tests.locations.support import (
    LONDON,
    add_device,
    address,
    assert_location,
    create_customer,
    create_location,
    events_of,
)

AUSTIN = {"city": "Austin", "state": "TX", "country_code": "US", "address_line1": "1 Main St"}


@pytest.fixture
def located(client, tenant):
    """A tenant, its test-mode headers and one location in Austin."""
    headers = tenant.test
    return tenant, headers, create_location(client, headers, postal_address=AUSTIN)


def test_retrieve_scoping_matrix(client, tenant, other_tenant, located):
    _, headers, location = located
    path = f"/locations/{location['id']}"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code="location_not_found",
        context="api.location_retrieve",
    )
    assert client.get(path, headers=headers).json() == location


@pytest.mark.parametrize(
    "location_id", ["loc_000000000000000000000000", "cus_000000000000000000000000", "x", "%00"]
)
def test_retrieve_unknown_id(client, tenant, location_id):
    response = client.get(f"/locations/{location_id}", headers=tenant.test)
    assert_error(response, 404, "location_not_found", context="api.location_retrieve")


def test_retrieve_shows_devices(client, database, located):
    tenant, headers, location = located
    devices = sorted(add_device(database, tenant.account_id, location["id"]) for _ in range(2))
    body = client.get(f"/locations/{location['id']}", headers=headers).json()
    assert_location(
        body,
        account_id=tenant.account_id,
        postal_address=address(**AUSTIN),
        timezone="America/Chicago",
        currency_code="USD",
        devices=devices,
    )


def test_update_scoping_matrix(client, tenant, other_tenant, located):
    _, headers, location = located
    path = f"/locations/{location['id']}"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PATCH",
        path,
        not_found_code="location_not_found",
        context="api.location_update",
        json={"reference_id": "taken over"},
    )
    assert client.get(path, headers=headers).json() == location


def test_update_only_the_fields_given(client, database, located):
    _, headers, location = located
    response = client.patch(
        f"/locations/{location['id']}", json={"reference_id": "site-9"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == location | {"reference_id": "site-9"}
    assert events_of(database, location["id"]) == [
        ("location.create", location),
        ("location.update", response.json()),
    ]


def test_update_replaces_the_address_as_a_whole_and_derives_again(client, database, located):
    tenant, headers, location = located
    postal = {"city": "Phoenix", "state": "arizona", "country_code": "us"}
    response = client.patch(
        f"/locations/{location['id']}", json={"postal_address": postal}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert_location(
        response.json(),
        account_id=tenant.account_id,
        postal_address=address(city="Phoenix", state="AZ", country_code="US"),
        timezone="America/Phoenix",
        currency_code="USD",
        geo_location={"lat": 33.4483, "lng": -112.0733},
    )
    assert response.json()["id"] == location["id"]
    assert client.get(f"/locations/{location['id']}", headers=headers).json() == response.json()
    assert events_of(database, location["id"])[-1] == ("location.update", response.json())


def test_update_to_another_country(client, located):
    _, headers, location = located
    response = client.patch(
        f"/locations/{location['id']}", json={"postal_address": LONDON}, headers=headers
    )
    assert response.json()["postal_address"] == address(**LONDON)
    assert (response.json()["timezone"], response.json()["currency_code"]) == (
        "Europe/London",
        "GBP",
    )


def test_moving_to_a_market_country_derives_its_market_source(client, located):
    _, headers, location = located
    assert location["market_sources"] == {"import": None, "export": None}
    berlin = {"city": "Berlin", "post_code": "10115", "country_code": "DE"}
    response = client.patch(
        f"/locations/{location['id']}", json={"postal_address": berlin}, headers=headers
    )
    de_lu = sources.find("de-lu")
    assert de_lu is not None
    assert response.json()["market_sources"] == {"import": de_lu.id, "export": de_lu.id}


def test_update_sets_and_clears_the_customer(client, located):
    _, headers, location = located
    path = f"/locations/{location['id']}"
    customer_id = create_customer(client, headers)
    set_ = client.patch(path, json={"customer_id": customer_id}, headers=headers)
    assert set_.json() == location | {"customer_id": customer_id}
    cleared = client.patch(path, json={"customer_id": None, "reference_id": None}, headers=headers)
    assert cleared.json() == location


def test_empty_patch_changes_nothing_but_is_recorded(client, database, located):
    _, headers, location = located
    response = client.patch(f"/locations/{location['id']}", json={}, headers=headers)
    assert response.status_code == 200
    assert response.json() == location
    assert [t for t, _ in events_of(database, location["id"])] == [
        "location.create",
        "location.update",
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"postal_address": None}, 400, "postal_address_invalid"),
        ({"postal_address": {"city": "Austin", "country_code": "US"}}, 400, "state_missing"),
        ({"postal_address": {"state": "TX", "country_code": "US"}}, 400, "city_missing"),
        ({"postal_address": {"city": "Austin"}}, 400, "country_code_missing"),
        ({"postal_address": {"city": "X", "country_code": "QQ"}}, 400, "country_code_invalid"),
        (
            {"postal_address": {"city": "X", "country_code": "AQ"}},
            400,
            "country_code_not_supported",
        ),
        ({"postal_address": LONDON | {"flat": "2"}}, 400, "flat_unknown"),
        ({"timezone": "Europe/Paris"}, 400, "timezone_unknown"),
        ({"reference_id": "x" * 256}, 400, "reference_id_invalid"),
        ({"customer_id": "cus_000000000000000000000000"}, 404, "customer_not_found"),
        # Everything is checked before anything is written: the valid part is not applied.
        ({"reference_id": "new", "postal_address": {"city": "X"}}, 400, "country_code_missing"),
    ],
)
def test_invalid_update_changes_nothing(client, database, located, body, status, code):
    _, headers, location = located
    path = f"/locations/{location['id']}"
    response = client.patch(path, json=body, headers=headers)
    assert_error(response, status, code, context="api.location_update")
    assert client.get(path, headers=headers).json() == location
    assert [t for t, _ in events_of(database, location["id"])] == ["location.create"]


def test_update_with_another_accounts_customer_is_404(client, other_tenant, located):
    _, headers, location = located
    foreign = create_customer(client, other_tenant.test)
    response = client.patch(
        f"/locations/{location['id']}", json={"customer_id": foreign}, headers=headers
    )
    assert_error(response, 404, "customer_not_found", context="api.location_update")
