"""What /openapi.json says of the price requests, zero's GET included (issue 18, defect 7)."""

from __future__ import annotations

from tests.contract_schema import documented_codes, parameter
from tests.helpers import assert_error


def test_zeros_rates_say_end_time_is_required(client, tenant):
    # Before, end_time was optional in the schema and refused as missing by the API.
    for path in ("/tariffs/rates/{location_id}", "/tariffs/audit/{location_id}"):
        end = parameter(client, "get", path, "end_time")
        assert end["required"] is True
        assert end["schema"]["format"] == "date-time"
        assert parameter(client, "get", path, "start_time")["schema"]["format"] == "date-time"
    response = client.get("/tariffs/rates/loc_0192f4d1a2b3c4d5e6f7a8b9", headers=tenant.test)
    body = assert_error(response, 400, "end_time_missing", context="api.tariff_rate_retrieve")
    assert body["message"] == "end_time is required."


def test_window_rules_are_documented(client):
    for method, path in (
        ("post", "/prices"),
        ("post", "/prices/{location_id}"),
        ("get", "/tariffs/rates/{location_id}"),
        ("post", "/audits/{location_id}"),
        ("get", "/market_sources/{market_source_id}/prices"),
    ):
        assert documented_codes(client, method, path) == [
            "time_window_invalid",
            "time_window_too_long",
        ], path
