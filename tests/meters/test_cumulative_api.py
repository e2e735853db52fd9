"""PUT /meters/cumulative/epoch: register reads become the interval records between them."""

from decimal import Decimal

import pytest

from tests.helpers import assert_error, assert_scoped
from tests.meters.support import CUMULATIVE, failures, put, stored
from tests.schedules.support import make_location

CONTEXT = "api.meter_cumulative_submit"
T0 = 1_780_272_000  # 2026-06-01T00:00:00Z


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)["id"]


def reads(location_id, values, *, step=1800, **fields):
    data = [{"time": T0 + step * i, "value": v} for i, v in enumerate(values)]
    return {"location_id": location_id, "units": "KWH", "data": data} | fields


def test_matrix(client, tenant, other_tenant, location):
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PUT",
        CUMULATIVE,
        json=reads(location, [1, 2]),
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_reads_become_intervals(client, tenant, location):
    body = reads(location, [100, "100.25", "101.5"], energy_flow_direction="OUTBOUND")
    body["data"][2]["record_reference_id"] = "read-3"
    batch = put(client, tenant, CUMULATIVE, body)
    assert (batch["records_submitted"], batch["records_accepted"], batch["failed_records"]) == (
        3,
        3,
        [],
    )
    assert stored(client.app.state.runtime.db, location) == [
        (
            "2026-06-01T00:00:00+00:00",
            "2026-06-01T00:30:00+00:00",
            "OUTBOUND",
            "EXPORT",
            Decimal(250),
            None,
        ),
        (
            "2026-06-01T00:30:00+00:00",
            "2026-06-01T01:00:00+00:00",
            "OUTBOUND",
            "EXPORT",
            Decimal(1250),
            "read-3",
        ),
    ]


def test_a_register_going_backwards_fails_that_read_and_restarts(client, tenant, location):
    body = reads(location, [10, 12, 3, 5], units="WH")
    batch = put(client, tenant, CUMULATIVE, body)
    assert failures(batch) == [(2, None, "meter_register_decreased")]
    assert [(r[0], r[4]) for r in stored(client.app.state.runtime.db, location)] == [
        ("2026-06-01T00:00:00+00:00", Decimal(2)),
        ("2026-06-01T01:00:00+00:00", Decimal(2)),  # from the read of 3 to 5
    ]


def test_faulty_reads(client, tenant, location):
    body = reads(location, [1, 2, 3, 4, 5])
    body["data"][1]["time"] = T0  # no later than the read before
    body["data"][2]["value"] = -1
    body["data"][3] = "four"
    body["data"].append({"time": T0 + 40 * 86400, "value": 9})
    batch = put(client, tenant, CUMULATIVE, body)
    assert failures(batch) == [
        (1, None, "end_time_before_start_time"),
        (2, None, "value_invalid"),
        (3, None, "record_invalid"),
        (5, None, "record_too_long"),
    ]
    # 1 -> 5 over the first two hours.
    assert [(r[0], r[1], r[4]) for r in stored(client.app.state.runtime.db, location)] == [
        ("2026-06-01T00:00:00+00:00", "2026-06-01T02:00:00+00:00", Decimal(4000)),
    ]


@pytest.mark.parametrize(
    "fields, status, code",
    [
        ({"units": "W"}, 400, "units_invalid"),
        ({"data": []}, 400, "data_invalid"),
        ({"location_id": None}, 400, "location_id_invalid"),
        ({"device_id": "dev_000000000000000000000000"}, 404, "device_not_found"),
        ({"direction": "IMPORT", "energy_flow_direction": "OUTBOUND"}, 400, "direction_invalid"),
    ],
)
def test_refusals(client, tenant, location, fields, status, code):
    response = client.put(CUMULATIVE, json=reads(location, [1, 2]) | fields, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)
    assert stored(client.app.state.runtime.db, location) == []


def test_over_ten_thousand_reads_is_413(client, tenant, location):
    response = client.put(CUMULATIVE, json=reads(location, range(10_002)), headers=tenant.test)
    assert_error(response, 413, "too_many_records", context=CONTEXT)
    assert stored(client.app.state.runtime.db, location) == []
