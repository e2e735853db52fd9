"""Contract dates outside what the engine and both databases hold are 400s, never 500s."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error
from tests.tariffs.support import flat, tariff_body


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


OUT_OF_RANGE = [
    ("contract_end_date", "9999-12-31T23:59:59-12:00"),  # year 10000 in UTC
    ("contract_start_date", "0001-01-01T00:00:00+14:00"),  # year 0 in UTC
    ("contract_start_date", "0001-01-01T00:00:00Z"),  # would be written "1-01-01T00:00:00Z"
    ("contract_end_date", "9500-01-01T00:00:00Z"),
]


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_create_refuses_a_date_out_of_range(client, tenant, location, field, value):
    body = tariff_body(location["id"], flat(0.2), **{field: value})
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert_error(response, 400, f"{field}_invalid", context="api.tariff_create")
    listed = client.get(f"/tariffs?location_id={location['id']}", headers=tenant.test)
    assert listed.json()["data"] == []


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_update_refuses_a_date_out_of_range(client, tenant, location, field, value):
    made = client.post("/tariffs", json=tariff_body(location["id"], flat(0.2)), headers=tenant.test)
    assert made.status_code == 201, made.text
    path = f"/tariffs/{made.json()['id']}"
    response = client.patch(path, json={field: value}, headers=tenant.test)
    assert_error(response, 400, f"{field}_invalid", context="api.tariff_update")
    assert client.get(path, headers=tenant.test).json()[field] == made.json()[field]


def test_the_edges_of_the_range(client, tenant, location):
    body = tariff_body(
        location["id"],
        flat(0.2),
        contract_start_date="1900-01-01T00:00:00Z",
        contract_end_date="8999-12-31T23:59:59Z",
    )
    made = client.post("/tariffs", json=body, headers=tenant.test)
    assert made.status_code == 201, made.text
    assert (made.json()["contract_start_date"], made.json()["contract_end_date"]) == (
        "1900-01-01T00:00:00Z",
        "8999-12-31T23:59:59Z",
    )
