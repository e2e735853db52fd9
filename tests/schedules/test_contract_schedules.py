"""What /openapi.json says of schedule requests (issue 18, defect 7)."""

from __future__ import annotations

from tests.contract_schema import component, documented_codes

END = "2026-06-01T06:00:00Z"


def test_a_limit_needs_relative_or_absolute_in_the_schema(client):
    limit = component(client, "LimitRequest")
    body = {"end_time": END, "segment": "LOW"}
    # Before, both were optional and the API answered 400 relative_missing.
    assert not limit.is_valid(body)
    assert not limit.is_valid({**body, "relative": None, "absolute": None})
    assert limit.is_valid({**body, "relative": 0.5})
    assert limit.is_valid({**body, "absolute": 0.25})


def test_bounds_are_numbers_the_schema_states(client):
    limit = component(client, "LimitRequest")
    body = {"end_time": END, "segment": "LOW"}
    # Before, the bounds were the strings "0.01" and "1" under pydantic's names.
    assert not limit.is_valid({**body, "relative": 0.001})
    assert not limit.is_valid({**body, "relative": 2})
    assert not limit.is_valid({**body, "relative": "0.5"})
    amount = component(client, "AmountRequest")
    device = {"device_id": "dev_0192f4d1a2b3c4d5e6f7a8b9", "end_time": END, "energy": 1}
    assert amount.is_valid({"max_power": 7, "devices": [device]})
    assert not amount.is_valid({"max_power": 0, "devices": [device]})


def test_window_rules_are_documented(client):
    for kind in ("duration", "limit", "amount"):
        codes = documented_codes(client, "post", f"/schedules/{kind}/{{location_id}}")
        assert {"time_window_invalid", "time_window_too_long"} <= set(codes)
