"""What /openapi.json says of a tariff's rates and schedule (issue 18, defect 7)."""

from __future__ import annotations

import copy

import pytest

from tests.contract_schema import component, documented_codes
from tests.helpers import assert_error
from tests.tariffs.support import flat, tariff_body

LOCATION = "loc_0192f4d1a2b3c4d5e6f7a8b9"


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()["id"]


def _with(body, **entry):
    body = copy.deepcopy(body)
    for key, value in entry.items():
        if key == "days":
            body["schedule"][0]["days_and_hours"][0]["days"] = value
        elif key == "fixed":
            body["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]["fixed"] = value
        else:
            body["schedule"][0][key] = value
    return body


@pytest.mark.parametrize(
    ("change", "code"),
    [
        # Before, a rate's schema was [number, string] without its digit limits.
        ({"fixed": "0.2"}, "fixed_invalid"),
        ({"fixed": 0.123456}, "fixed_invalid"),
        ({"fixed": 1e10}, "fixed_invalid"),
        # Before, the lists had no uniqueItems and "All" could go with month names.
        ({"months": ["All", "Jan"]}, "months_invalid"),
        ({"months": ["Jan", "Jan"]}, "months_invalid"),
        ({"days": ["All", "All"]}, "days_invalid"),
        ({"dates": [1, 1]}, "dates_invalid"),
    ],
)
def test_schedules_the_api_refuses_are_invalid_by_the_schema(
    client, tenant, location, change, code
):
    body = _with(tariff_body(location, flat(0.2)), **change)
    assert not component(client, "TariffCreate").is_valid(body)
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert_error(response, 400, code, context="api.tariff_create")


def test_a_rate_with_five_decimals_is_valid(client, tenant, location):
    body = _with(tariff_body(location, flat(0.2)), fixed=123456789.12345)
    assert component(client, "TariffCreate").is_valid(body)
    assert client.post("/tariffs", json=body, headers=tenant.test).status_code == 201


def test_schedule_rules_between_fields_are_documented(client):
    for method, path in (
        ("post", "/tariffs"),
        ("post", "/tariffs/elements"),
        ("patch", "/tariffs/{tariff_id}"),
    ):
        codes = set(documented_codes(client, method, path))
        assert {"incomplete_time_period", "overlap_in_time_period", "fixed_invalid"} <= codes
