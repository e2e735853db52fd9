"""What /openapi.json says of a device's properties (issue 18, defect 7)."""

from __future__ import annotations

import pytest

from tests.contract_schema import component, documented_codes
from tests.helpers import assert_error

DEVICE = {"reference_id": "charger-1", "type": "EV_CHARGER"}


@pytest.mark.parametrize(
    "properties",
    [
        {"": 1},
        {"k" * 101: 1},
        {f"k{n}": n for n in range(51)},
        {"a": {"b": {"c": {"d": 1}}}},
        {"a\x00": 1},
        {"a": ["x\x00"]},
    ],
)
def test_properties_the_api_refuses_are_invalid_by_the_schema(client, tenant, properties):
    # Before, any object was valid by the schema.
    body = {**DEVICE, "properties": properties}
    assert not component(client, "DeviceCreate").is_valid(body)
    response = client.post("/devices", json=body, headers=tenant.test)
    assert_error(response, 400, "properties_invalid", context="api.device_create")


def test_properties_three_levels_deep_are_valid(client, tenant):
    properties = {"a": {"b": {"c": 1}, "l": [1, "x", None]}, "k" * 100: True}
    body = {**DEVICE, "properties": properties}
    assert component(client, "DeviceCreate").is_valid(body)
    response = client.post("/devices", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text


def test_the_size_limit_is_documented(client):
    assert documented_codes(client, "post", "/devices") == ["properties_invalid"]
