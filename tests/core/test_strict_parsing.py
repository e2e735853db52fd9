"""What the docs promise is taken as they say it, and nothing looser: money as JSON numbers,
times as RFC 3339 text with an offset, page sizes as plain digits."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error
from tests.tariffs.support import flat, tariff_body


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


def test_money_sent_as_a_string_is_refused(client, tenant, location):
    body = tariff_body(location["id"], flat(0.2))
    body["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]["fixed"] = "0.2"
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert_error(response, 400, "fixed_invalid", context="api.tariff_create")
    body["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]["fixed"] = 0.2
    assert client.post("/tariffs", json=body, headers=tenant.test).status_code == 201


@pytest.mark.parametrize("end_time", [1780000000, 1780000000.5])
def test_a_time_sent_as_unix_seconds_is_refused(client, tenant, location, end_time):
    body = {"location_id": location["id"], "start_time": "2026-06-01T00:00:00Z"}
    response = client.post("/prices", json={**body, "end_time": end_time}, headers=tenant.test)
    assert_error(response, 400, "end_time_invalid", context="api.price_retrieve")


@pytest.mark.parametrize("limit", ["%205", "+5", "5.0", "0x5"])
def test_a_page_size_must_be_plain_digits(client, tenant, limit):
    response = client.get(f"/locations?limit={limit}", headers=tenant.test)
    assert_error(response, 400, "limit_invalid", context="api.location_list")
    assert client.get("/locations?limit=5", headers=tenant.test).status_code == 200
