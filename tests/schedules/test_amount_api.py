"""POST /schedules/amount/{location_id}: the matrix, refusals and exact plans."""

import pytest

from tests.helpers import assert_error, assert_scoped
from tests.schedules.support import (
    check_head,
    connect_market,
    make_device,
    make_location,
    post,
)

CONTEXT = "api.schedule_by_amount"
# Quarter hours from 00:00Z: Q0 0.30, Q1 0.10, Q2 0.20, Q3 0.10, Q4 0.50, Q5 0.05, Q6 0.40,
# Q7 0.25.
QUARTERS = ["0.30", "0.10", "0.20", "0.10", "0.50", "0.05", "0.40", "0.25"]
START, END = "2026-06-01T00:00:00Z", "2026-06-01T02:00:00Z"


@pytest.fixture
def location(client, tenant, database):
    location = make_location(client, tenant)
    connect_market(client, tenant, database, location["id"], "2026-06-01T00:00:00+00:00", QUARTERS)
    return location


def path(location):
    return f"/schedules/amount/{location['id']}"


def run(start, end, kw):
    return {"start_time": start, "end_time": end, "power": {"units": "KW", "value": kw}}


def plan(device_id, start, end, max_kw, energy, cost, savings, schedule, error=None):
    return {
        "device_id": device_id,
        "tariff_direction": "IMPORT",
        "start_time": start,
        "end_time": end,
        "max_power": {"units": "KW", "value": max_kw},
        "energy": {"units": "KWH", "value": energy},
        "cost": {"value": cost, "confidence": 1.0},
        "savings": savings,
        "schedule": schedule,
        "error": error,
    }


def test_matrix(client, tenant, other_tenant, location):
    device = make_device(client, tenant)
    body = {
        "max_power": 7,
        "devices": [{"device_id": device, "start_time": START, "end_time": END, "energy": 1}],
    }
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        path(location),
        json=body,
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_two_devices_share_the_site_limit(client, tenant, location):
    car, heater = make_device(client, tenant, "CAR"), make_device(client, tenant, "HEATER")
    request = {
        "max_power": {"units": "KW", "value": 6},
        "devices": [
            {
                "device_id": car,
                "start_time": START,
                "end_time": END,
                "max_power": {"units": "W", "value": 4000},
                "energy": {"units": "WH", "value": 3000},
            },
            # Only Q3 (0.10) and at 4 kW: the car may have just 2 kW of that quarter.
            {
                "device_id": heater,
                "direction": "IMPORT",
                "start_time": "2026-06-01T00:45:00Z",
                "end_time": "2026-06-01T01:00:00Z",
                "max_power": 4,
                "energy": 1,
            },
        ],
    }
    body = post(client, tenant, path(location), request)
    assert check_head(
        body, obj="schedule_amount", prefix="sae", tenant=tenant, location=location
    ) == {
        "object": "schedule_amount",
        "live_mode": False,
        "location_id": location["id"],
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "max_power": {"units": "KW", "value": 6.0},
        "shaving_threshold": None,
        "cost": {"value": 0.4, "confidence": 1.0},
        "savings": {"value": 0.3, "percentage": 42.86},
        "data": [
            # Q5 and Q1 in full, 2 kW of Q3 beside the heater, the rest in Q2 (0.20): 0.30
            # against 0.60 for Q0-Q2 at full power from the start.
            plan(
                car,
                START,
                END,
                4.0,
                3.0,
                0.3,
                {"value": 0.3, "percentage": 50.0},
                [
                    run("2026-06-01T00:15:00Z", "2026-06-01T00:30:00Z", 4.0),
                    run("2026-06-01T00:30:00Z", "2026-06-01T01:00:00Z", 2.0),
                    run("2026-06-01T01:15:00Z", "2026-06-01T01:30:00Z", 4.0),
                ],
            ),
            plan(
                heater,
                "2026-06-01T00:45:00Z",
                "2026-06-01T01:00:00Z",
                4.0,
                1.0,
                0.1,
                {"value": 0.0, "percentage": 0.0},
                [run("2026-06-01T00:45:00Z", "2026-06-01T01:00:00Z", 4.0)],
            ),
        ],
        "account_id": tenant.account_id,
    }


def test_a_device_that_cannot_get_its_energy_gets_what_fits(client, tenant, location):
    device = make_device(client, tenant)
    request = {
        "max_power": 7,
        "devices": [
            {
                "device_id": device,
                "start_time": START,
                "end_time": "2026-06-01T00:30:00Z",
                "max_power": 2,
                "energy": 5,
            }
        ],
    }
    (entry,) = post(client, tenant, path(location), request)["data"]
    assert entry["error"] == {
        "object": "error",
        "type": "invalid_request",
        "code": "energy_unreachable",
        "message": "5 kWh do not fit in the window within the power limits; 1 kWh do, "
        "and are scheduled.",
        "energy_reachable": {"units": "KWH", "value": 1.0},
    }
    assert entry["schedule"] == [run(START, "2026-06-01T00:30:00Z", 2.0)]
    assert entry["cost"] == {"value": 0.2, "confidence": 1.0}


def test_devices_are_served_in_the_order_given(client, tenant, location):
    first, second = make_device(client, tenant, "A"), make_device(client, tenant, "B")
    device = {"start_time": START, "end_time": "2026-06-01T00:30:00Z", "energy": 2}
    request = {
        "max_power": 4,
        "data": [device | {"device_id": first}, device | {"device_id": second}],
    }
    one, two = post(client, tenant, path(location), request)["data"]
    assert (one["error"], one["schedule"]) == (None, [run(START, "2026-06-01T00:30:00Z", 4.0)])
    assert two["error"]["energy_reachable"] == {"units": "KWH", "value": 0.0}
    assert two["schedule"] == []


def test_shaving_threshold_caps_the_price(client, tenant, location):
    device = make_device(client, tenant)
    demand = {"device_id": device, "start_time": START, "end_time": END, "energy": 3}
    request = {"max_power": 4, "shaving_threshold": {"absolute": 0.15}, "devices": [demand]}
    body = post(client, tenant, path(location), request)
    assert body["shaving_threshold"] == {"relative": None, "absolute": 0.15}
    assert body["data"][0]["schedule"] == [
        run("2026-06-01T00:15:00Z", "2026-06-01T00:30:00Z", 4.0),
        run("2026-06-01T00:45:00Z", "2026-06-01T01:00:00Z", 4.0),
        run("2026-06-01T01:15:00Z", "2026-06-01T01:30:00Z", 4.0),
    ]
    # Relative 0.01: at most 0.05 + 0.01 x 0.45, only Q5 (1 kWh).
    request["shaving_threshold"] = {"relative": 0.01}
    (entry,) = post(client, tenant, path(location), request)["data"]
    assert entry["error"]["energy_reachable"] == {"units": "KWH", "value": 1.0}
    # Neither part: the reference's default (relative 1) rules nothing out.
    request["shaving_threshold"] = {}
    body = post(client, tenant, path(location), request)
    assert body["shaving_threshold"] == {"relative": None, "absolute": None}
    assert body["data"][0]["error"] is None


def test_an_export_device_earns_in_the_dearest_quarter(client, tenant, database, location):
    connect_market(
        client,
        tenant,
        database,
        location["id"],
        "2026-06-01T00:00:00+00:00",
        QUARTERS,
        tariff_direction="EXPORT",
    )
    battery = make_device(client, tenant)
    request = {
        "max_power": 4,
        "devices": [
            {
                "device_id": battery,
                "tariff_direction": "EXPORT",
                "start_time": START,
                "end_time": END,
                "energy": 1,
            }
        ],
    }
    body = post(client, tenant, path(location), request)
    (entry,) = body["data"]
    assert entry["schedule"] == [run("2026-06-01T01:00:00Z", "2026-06-01T01:15:00Z", 4.0)]
    # Earns 0.50 against 0.30 from the start: a cost of -0.5, 0.2 saved.
    assert entry["cost"] == {"value": -0.5, "confidence": 1.0}
    assert entry["savings"] == {"value": 0.2, "percentage": 66.67}


def test_another_accounts_device_is_not_found(client, tenant, other_tenant, location):
    theirs = make_device(client, other_tenant)
    for device_id in (theirs, "dev_" + "0" * 24):
        request = {
            "max_power": 4,
            "devices": [
                {"device_id": device_id, "start_time": START, "end_time": END, "energy": 1}
            ],
        }
        response = client.post(path(location), json=request, headers=tenant.test)
        assert_error(response, 404, "device_not_found", context=CONTEXT)


@pytest.mark.parametrize(
    ("change", "device_change", "status", "code"),
    [
        ({"max_power": 0}, {}, 400, "max_power_invalid"),
        ({"max_power": {"units": "MW", "value": 1}}, {}, 400, "max_power_invalid"),
        ({"max_power": "lots"}, {}, 400, "max_power_invalid"),
        ({"max_power": True}, {}, 400, "max_power_invalid"),
        ({}, {"max_power": {"units": "W", "value": "7000"}}, 400, "max_power_invalid"),
        ({"devices": []}, None, 400, "devices_invalid"),
        ({"shaving_threshold": {"relative": 2}}, {}, 400, "relative_invalid"),
        ({}, {"energy": 0}, 400, "energy_invalid"),
        ({}, {"energy": {"units": "KWH"}}, 400, "energy_invalid"),
        ({}, {"tariff_direction": "LOCAL"}, 400, "tariff_direction_invalid"),
        ({}, {"end_time": "2026-05-31T23:00:00Z"}, 400, "time_window_invalid"),
        ({}, {"end_time": "2026-06-04T00:00:01Z"}, 400, "time_window_too_long"),
        ({}, {"tariff_direction": "EXPORT"}, 422, "no_tariff_connected"),
        ({}, {"end_time": "2026-06-01T03:00:00Z"}, 422, "no_price_data"),
    ],
)
def test_refusals(client, tenant, location, change, device_change, status, code):
    device = make_device(client, tenant)
    demand = {"device_id": device, "start_time": START, "end_time": END, "energy": 1}
    body = {"max_power": 4} | change
    if device_change is not None and "devices" not in change:
        body["devices"] = [demand | device_change]
    response = client.post(path(location), json=body, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)


def test_missing_fields(client, tenant, location):
    device = make_device(client, tenant)
    demand = {"device_id": device, "start_time": START, "end_time": END, "energy": 1}
    for body, code in (
        ({"devices": [demand]}, "max_power_missing"),
        ({"max_power": 4}, "devices_missing"),
        ({"max_power": 4, "devices": [demand | {"energy": None}]}, "energy_invalid"),
    ):
        response = client.post(path(location), json=body, headers=tenant.test)
        assert_error(response, 400, code, context=CONTEXT)
    no_energy = {k: v for k, v in demand.items() if k != "energy"}
    response = client.post(
        path(location), json={"max_power": 4, "devices": [no_energy]}, headers=tenant.test
    )
    assert_error(response, 400, "energy_missing", context=CONTEXT)
