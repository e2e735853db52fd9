"""What /openapi.json says of a location's postal address (issue 18, defect 7)."""

from __future__ import annotations

import pytest

from tests.contract_schema import component, documented_codes
from tests.helpers import assert_error


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ({"country_code": "GB"}, "city_missing"),
        ({"country_code": "GB", "city": None}, "city_missing"),
        ({"country_code": "GB", "city": "  "}, "city_missing"),
        ({"city": "London"}, "country_code_missing"),
        ({"city": "London", "country_code": "0000000"}, "country_code_invalid"),
        ({"city": "Base", "country_code": "AQ"}, "country_code_not_supported"),
        ({}, "country_code_missing"),  # country first, as before
    ],
)
def test_addresses_the_api_refuses_are_invalid_by_the_schema(client, tenant, address, code):
    # Before, city and country_code were nullable strings in the schema.
    assert not component(client, "PostalAddressIn").is_valid(address)
    response = client.post("/locations", json={"postal_address": address}, headers=tenant.test)
    assert_error(response, 400, code, context="api.location_create")


def test_a_valid_address_is_valid_by_the_schema(client, tenant):
    address = {"city": "London", "country_code": "GB", "post_code": "SW1A 1AA"}
    assert component(client, "PostalAddressIn").is_valid(address)
    response = client.post("/locations", json={"postal_address": address}, headers=tenant.test)
    assert response.status_code == 201, response.text


def test_states_are_a_documented_rule_between_fields(client):
    for method, path in (("post", "/locations"), ("patch", "/locations/{location_id}")):
        assert set(documented_codes(client, method, path)) == {"state_missing", "state_invalid"}
