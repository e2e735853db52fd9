"""POST /locations: scoping, validation codes, the exact shape, events, idempotency."""

from __future__ import annotations

import pytest

from tariffconnect.events.models import Event
from tariffconnect.locations.models import Location
from tariffconnect.market import sources
from tests.helpers import assert_error, assert_scoped
from tests.locations.support import (
    LONDON,
    LONDON_POINT,
    address,
    assert_location,
    count_rows,
    create_customer,
    create_location,
    events_of,
)

CONTEXT = "api.location_create"


def test_scoping_matrix(client, database, tenant, other_tenant):
    customer_id = create_customer(client, tenant.test)
    body = {"customer_id": customer_id, "postal_address": LONDON}
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        "/locations",
        not_found_code="customer_not_found",
        context=CONTEXT,
        json=body,
    )
    assert count_rows(database, Location, tenant.account_id) == 0


def test_minimal_address(client, tenant):
    body = create_location(
        client, tenant.test, postal_address={"city": "London", "country_code": "gb"}
    )
    assert_location(
        body,
        account_id=tenant.account_id,
        postal_address=address(city="London", country_code="GB"),
        timezone="Europe/London",
        currency_code="GBP",
        geo_location=LONDON_POINT,
    )


def test_full_body(client, tenant):
    headers = tenant.test
    customer_id = create_customer(client, headers)
    postal = {
        "address_line1": "1600 Congress Ave",
        "address_line2": "Suite 100",
        "city": "Austin",
        "state": "Texas",
        "post_code": "78701",
        "country_code": "US",
    }
    body = create_location(
        client, headers, reference_id="site-1", customer_id=customer_id, postal_address=postal
    )
    assert_location(
        body,
        account_id=tenant.account_id,
        reference_id="site-1",
        customer_id=customer_id,
        postal_address=postal | {"state": "TX"},
        timezone="America/Chicago",
        currency_code="USD",
    )
    customer = client.get(f"/customers/{customer_id}", headers=headers).json()
    assert customer["locations"] == [body["id"]]


@pytest.mark.parametrize(
    ("postal", "state", "timezone", "currency"),
    [
        ({"city": "Darwin", "state": "nt", "country_code": "AU"}, "NT", "Australia/Darwin", "AUD"),
        (
            {"city": "Las Palmas", "state": "Canary Islands", "country_code": "es"},
            "Canary Islands",
            "Atlantic/Canary",
            "EUR",
        ),
        ({"city": "Phoenix", "state": "AZ", "country_code": "US"}, "AZ", "America/Phoenix", "USD"),
        ({"city": "Tokyo", "country_code": "JP"}, None, "Asia/Tokyo", "JPY"),
    ],
)
def test_derivation_through_the_api(client, tenant, postal, state, timezone, currency):
    body = create_location(client, tenant.test, postal_address=postal)
    assert body["postal_address"] == address(**postal) | {
        "state": state,
        "country_code": postal["country_code"].upper(),
    }
    assert (body["timezone"], body["currency_code"]) == (timezone, currency)


def source_id(slug: str) -> str:
    found = sources.find(slug)
    assert found is not None
    return found.id


@pytest.mark.parametrize(
    ("postal", "import_slug", "export_slug"),
    [
        ({"city": "Berlin", "post_code": "10115", "country_code": "DE"}, "de-lu", "de-lu"),
        ({"city": "København", "post_code": "2100", "country_code": "DK"}, "dk2", "dk2"),
        ({"city": "Aarhus", "post_code": "DK-8000", "country_code": "DK"}, "dk1", "dk1"),
        # GB follows Agile, a retail import series: no export side.
        ({"city": "London", "post_code": "SW1A 2AA", "country_code": "GB"}, "gb-london", None),
        # No post code: the region is not certain, so nothing is derived.
        ({"city": "London", "country_code": "GB"}, None, None),
        ({"city": "Oslo", "country_code": "NO"}, None, None),
        ({"city": "Tokyo", "country_code": "JP"}, None, None),
    ],
)
def test_market_sources_are_derived_from_the_address(
    client, tenant, postal, import_slug, export_slug
):
    body = create_location(client, tenant.test, postal_address=postal)
    assert body["market_sources"] == {
        "import": import_slug and source_id(import_slug),
        "export": export_slug and source_id(export_slug),
    }


def test_fields_are_trimmed_and_blank_ones_null(client, tenant):
    postal = {"address_line2": "", "city": " London ", "country_code": " gb", "post_code": "  "}
    body = create_location(client, tenant.test, postal_address=postal)
    assert body["postal_address"] == address(city="London", country_code="GB")


LONG = "x" * 256


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "postal_address_missing"),
        ({"postal_address": None}, "postal_address_invalid"),
        ({"postal_address": "London"}, "postal_address_invalid"),
        ({"postal_address": LONDON, "grid_node_id": "1"}, "grid_node_id_unknown"),
        ({"postal_address": LONDON | {"line3": "x"}}, "line3_unknown"),
        ({"postal_address": {"city": "London"}}, "country_code_missing"),
        ({"postal_address": {"city": "London", "country_code": ""}}, "country_code_missing"),
        ({"postal_address": {"city": "London", "country_code": "UK"}}, "country_code_invalid"),
        ({"postal_address": {"city": "London", "country_code": "GBR"}}, "country_code_invalid"),
        ({"postal_address": {"city": "London", "country_code": 44}}, "country_code_invalid"),
        (
            {"postal_address": {"city": "McMurdo", "country_code": "AQ"}},
            "country_code_not_supported",
        ),
        ({"postal_address": {"country_code": "GB"}}, "city_missing"),
        ({"postal_address": {"city": " ", "country_code": "GB"}}, "city_missing"),
        ({"postal_address": {"city": "Austin", "country_code": "US"}}, "state_missing"),
        ({"postal_address": {"city": "Perth", "country_code": "AU"}}, "state_missing"),
        ({"postal_address": {"city": "Banff", "country_code": "CA"}}, "state_missing"),
        (
            {"postal_address": {"city": "Austin", "state": "Tex", "country_code": "US"}},
            "state_invalid",
        ),
        ({"postal_address": LONDON | {"address_line1": LONG}}, "address_line1_invalid"),
        ({"postal_address": LONDON | {"address_line2": LONG}}, "address_line2_invalid"),
        ({"postal_address": LONDON | {"city": LONG}}, "city_invalid"),
        ({"postal_address": LONDON | {"state": "x" * 65}}, "state_invalid"),
        ({"postal_address": LONDON | {"post_code": "x" * 33}}, "post_code_invalid"),
        ({"postal_address": LONDON | {"city": "Lon\x00don"}}, "city_invalid"),
        ({"postal_address": LONDON, "reference_id": LONG}, "reference_id_invalid"),
        ({"postal_address": LONDON, "reference_id": 7}, "reference_id_invalid"),
    ],
)
def test_invalid_input_writes_nothing(client, database, tenant, body, code):
    before = (
        count_rows(database, Location, tenant.account_id),
        count_rows(database, Event, tenant.account_id),
    )
    response = client.post("/locations", json=body, headers=tenant.test)
    assert_error(response, 400, code, context=CONTEXT)
    after = (
        count_rows(database, Location, tenant.account_id),
        count_rows(database, Event, tenant.account_id),
    )
    assert after == before == (0, 0)


def test_body_that_is_not_json(client, tenant):
    headers = tenant.test | {"Content-Type": "application/json"}
    response = client.post("/locations", content=b"{nope", headers=headers)
    assert_error(response, 400, "data_json_invalid", context=CONTEXT)


@pytest.mark.parametrize("customer_id", ["cus_000000000000000000000000", "nope", ""])
def test_unknown_customer_is_404_and_writes_nothing(client, database, tenant, customer_id):
    body = {"customer_id": customer_id, "postal_address": LONDON}
    response = client.post("/locations", json=body, headers=tenant.test)
    assert_error(response, 404, "customer_not_found", context=CONTEXT)
    assert count_rows(database, Location, tenant.account_id) == 0


def test_customer_of_the_other_mode_is_404(client, database, tenant):
    customer_id = create_customer(client, tenant.live)
    body = {"customer_id": customer_id, "postal_address": LONDON}
    response = client.post("/locations", json=body, headers=tenant.test)
    assert_error(response, 404, "customer_not_found", context=CONTEXT)


def test_live_mode_location(client, tenant):
    body = create_location(client, tenant.live)
    assert body["live_mode"] is True


def test_create_records_the_event(client, database, tenant):
    body = create_location(client, tenant.test, reference_id="r")
    assert events_of(database, body["id"]) == [("location.create", body)]


def test_idempotent_retry_replays_the_answer(client, database, tenant):
    headers = tenant.test | {"Idempotency-Key": "create-location-1"}
    body = {"reference_id": "once", "postal_address": LONDON}
    first = client.post("/locations", json=body, headers=headers)
    second = client.post("/locations", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert count_rows(database, Location, tenant.account_id) == 1
    other_body = body | {"reference_id": "twice"}
    reused = client.post("/locations", json=other_body, headers=headers)
    assert_error(reused, 422, "idempotency_key_reused", context=CONTEXT)
    assert count_rows(database, Location, tenant.account_id) == 1


def test_failed_attempt_frees_the_idempotency_key(client, database, tenant):
    headers = tenant.test | {"Idempotency-Key": "create-location-2"}
    bad = {"postal_address": {"city": "Austin", "country_code": "US"}}
    assert_error(client.post("/locations", json=bad, headers=headers), 400, "state_missing")
    assert_error(client.post("/locations", json=bad, headers=headers), 400, "state_missing")
    assert count_rows(database, Location, tenant.account_id) == 0
