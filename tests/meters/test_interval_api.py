"""PUT /meters/interval and GET /meters/batch: the matrix, units, per-record faults,
replacement by record_reference_id, and the limits of a batch."""

import re
from decimal import Decimal

import orjson
import pytest

from tests.helpers import assert_error, assert_scoped
from tests.meters.support import INTERVAL, failures, put, record, stored
from tests.schedules.support import make_device, make_location

CONTEXT = "api.meter_interval_submit"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)["id"]


def test_anonymous_is_401(client):
    response = client.put(INTERVAL, json=[])
    assert_error(response, 401, "authentication_required", context=CONTEXT)


def test_another_accounts_or_modes_location_fails_each_record(
    client, tenant, other_tenant, location
):
    for headers in (other_tenant.test, other_tenant.live, tenant.live):
        response = client.put(INTERVAL, json=[record(location)], headers=headers)
        assert response.status_code == 200, response.text
        assert failures(response.json()) == [(0, None, "location_not_found")]
    assert stored(client.app.state.runtime.db, location) == []


def test_a_batch_answered_in_full_and_kept(client, tenant, location):
    body = [
        record(location, record_reference_id="r-1"),
        record(location, units="lumens", record_reference_id="r-2"),
        record(location, start_time="2026-06-01T01:00:00Z", end_time="2026-06-01T01:30:00Z"),
    ]
    batch = put(client, tenant, INTERVAL, body)
    assert re.fullmatch(r"bat_[0-9a-f]{24}", batch["id"]) and TIME.fullmatch(batch["time_created"])
    assert batch == {
        "id": batch["id"],
        "object": "meter_batch",
        "live_mode": False,
        "records_submitted": 3,
        "records_accepted": 2,
        "records_processed": 3,
        "failed_records": [
            {"record_num": 1, "record_reference_id": "r-2", "error": "units_invalid"}
        ],
        "time_created": batch["time_created"],
        "account_id": tenant.account_id,
    }
    response = client.get(
        INTERVAL.replace("interval", "batch"), params={"batch_id": batch["id"]}, headers=tenant.test
    )
    assert response.status_code == 200 and response.json() == batch


def test_the_batch_matrix(client, tenant, other_tenant, location):
    batch = put(client, tenant, INTERVAL, [record(location)])
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"/meters/batch?batch_id={batch['id']}",
        not_found_code="batch_not_found",
        context="api.meter_batch_get",
    )


@pytest.mark.parametrize(
    "query, code", [("", "batch_id_missing"), ("?batch_id=bat_nope", "batch_not_found")]
)
def test_batch_refusals(client, tenant, query, code):
    response = client.get(f"/meters/batch{query}", headers=tenant.test)
    assert_error(
        response, 400 if code.endswith("missing") else 404, code, context="api.meter_batch_get"
    )


@pytest.mark.parametrize(
    "units, value, energy",
    [
        ("WH", 500, "500"),
        ("KWH", 0.5, "500"),
        ("W", 1000, "500"),  # 1 kW for the half hour
        ("KW", 2.5, "1250"),
        ("W", 1, "0.5"),
        ("WH", "0.0000015", "0.000002"),  # kept to the microwatt-hour, half up
    ],
)
def test_units(client, tenant, location, units, value, energy):
    put(client, tenant, INTERVAL, [record(location, units=units, value=value)])
    assert [row[4] for row in stored(client.app.state.runtime.db, location)] == [Decimal(energy)]


def test_power_is_constant_over_an_odd_length(client, tenant, location):
    body = record(location, units="W", value=3600, end_time="2026-06-01T00:00:01Z")
    put(client, tenant, INTERVAL, [body])
    assert [row[4] for row in stored(client.app.state.runtime.db, location)] == [Decimal(1)]


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"units": "MWH"}, "units_invalid"),
        ({"units": None}, "units_invalid"),
        ({"end_time": "2026-05-31T23:00:00Z"}, "end_time_before_start_time"),
        ({"end_time": "2026-06-01T00:00:00Z"}, "end_time_before_start_time"),
        ({"end_time": "2026-07-02T00:00:01Z"}, "record_too_long"),
        ({"value": -1}, "value_invalid"),
        ({"value": "NaN"}, "value_invalid"),
        ({"value": "many"}, "value_invalid"),
        ({"value": "0.0000000001"}, "value_invalid"),
        ({"start_time": "2026-06-01T00:00:00"}, "start_time_invalid"),
        ({"start_time": "yesterday"}, "start_time_invalid"),
        ({"location_id": "loc_000000000000000000000000"}, "location_not_found"),
        ({"location_id": "nope\x00"}, "location_not_found"),
        ({"location_id": 7}, "location_id_invalid"),
        ({"record_reference_id": "a\x00b"}, "record_reference_id_invalid"),
        ({"session_reference_id": "s" * 256}, "session_reference_id_invalid"),
        ({"device_id": "dev_000000000000000000000000"}, "device_not_found"),
        ({"energy_flow_direction": "SIDEWAYS"}, "energy_flow_direction_invalid"),
        ({"direction": "EXPORT", "energy_flow_direction": "INBOUND"}, "direction_invalid"),
        ({"tariff_direction": "LOCAL"}, "tariff_direction_not_supported"),
        ({"measurand": "OFFERED"}, "measurand_invalid"),
        ({"colour": "blue"}, "colour_unknown"),
        ({"record_reference_id": ""}, "record_reference_id_invalid"),
    ],
)
def test_each_fault_has_its_code_and_spares_the_rest(client, tenant, location, fields, code):
    good = record(location, start_time="2026-06-02T00:00:00Z", end_time="2026-06-02T00:30:00Z")
    bad = record(location) | fields
    batch = put(client, tenant, INTERVAL, [good, bad])
    assert (batch["records_accepted"], failures(batch)) == (
        1,
        [(1, bad.get("record_reference_id"), code)],
    )
    assert [row[0] for row in stored(client.app.state.runtime.db, location)] == [
        "2026-06-02T00:00:00+00:00"
    ]


def test_missing_fields_and_non_objects(client, tenant, location):
    missing = record(location)
    del missing["start_time"]
    batch = put(client, tenant, INTERVAL, [missing, 7, [], record(location)])
    assert failures(batch) == [
        (0, None, "start_time_missing"),
        (1, None, "record_invalid"),
        (2, None, "record_invalid"),
    ]


def test_both_releases_names(client, tenant, location):
    later = {"start_time": "2026-06-01T01:00:00Z", "end_time": "2026-06-01T01:30:00Z"}
    body = [
        record(location, direction="EXPORT"),
        record(location, energy_flow_direction="OUTBOUND", tariff_rate="IMPORT", **later),
        record(
            location,
            tariff_direction="EXPORT",
            start_time="2026-06-01T02:00:00+01:00",
            end_time="2026-06-01T02:30:00+01:00",
        ),
    ]
    put(client, tenant, INTERVAL, body)
    assert sorted((r[0], r[2], r[3]) for r in stored(client.app.state.runtime.db, location)) == [
        ("2026-06-01T00:00:00+00:00", "OUTBOUND", "EXPORT"),
        ("2026-06-01T01:00:00+00:00", "OUTBOUND", "EXPORT"),
        ("2026-06-01T01:00:00+00:00", "OUTBOUND", "IMPORT"),
    ]


def test_a_record_sent_again_replaces(client, tenant, location):
    put(client, tenant, INTERVAL, [record(location, record_reference_id="a", value=1)])
    put(client, tenant, INTERVAL, [record(location, record_reference_id="b", value=2)])
    again = record(
        location,
        record_reference_id="a",
        value=3,
        start_time="2026-07-01T00:00:00Z",
        end_time="2026-07-01T00:30:00Z",
    )
    put(client, tenant, INTERVAL, [again, record(location, record_reference_id="b", value=4)])
    assert [(r[0], r[4], r[5]) for r in stored(client.app.state.runtime.db, location)] == [
        ("2026-06-01T00:00:00+00:00", Decimal(4), "b"),
        ("2026-07-01T00:00:00+00:00", Decimal(3), "a"),
    ]


def test_within_a_batch_the_last_with_a_reference_wins(client, tenant, location):
    body = [record(location, record_reference_id="x", value=v) for v in (1, 2, 3)]
    batch = put(client, tenant, INTERVAL, [*body, record(location), record(location)])
    assert (batch["records_accepted"], batch["failed_records"]) == (5, [])
    assert sorted(r[4] for r in stored(client.app.state.runtime.db, location)) == [
        Decimal(3),
        Decimal(500),
        Decimal(500),
    ]


def test_references_are_per_account(client, tenant, other_tenant, location):
    theirs = make_location(client, other_tenant)["id"]
    put(client, tenant, INTERVAL, [record(location, record_reference_id="same")])
    put(client, other_tenant, INTERVAL, [record(theirs, record_reference_id="same")])
    assert len(stored(client.app.state.runtime.db, location)) == 1


def test_a_device_of_the_caller(client, tenant, location):
    device = make_device(client, tenant)
    batch = put(client, tenant, INTERVAL, [record(location, device_id=device)])
    assert batch["failed_records"] == []


def test_over_ten_thousand_records_is_413_and_stores_nothing(client, tenant, location):
    body = [record(location)] * 10_001
    response = client.put(INTERVAL, json=body, headers=tenant.test)
    assert_error(response, 413, "too_many_records", context=CONTEXT)
    assert stored(client.app.state.runtime.db, location) == []


def test_ten_thousand_records_are_taken(client, tenant, location):
    body = [record(location)] * 10_000
    batch = put(client, tenant, INTERVAL, body)
    assert (batch["records_accepted"], batch["failed_records"]) == (10_000, [])
    assert len(stored(client.app.state.runtime.db, location)) == 10_000


def test_bodies_up_to_five_mebibytes(client, tenant, location):
    padded = record(location, session_reference_id="s" * 255, record_reference_id=None)
    size = len(orjson.dumps(padded)) + 1
    fits = [padded] * ((3 * 1024 * 1024) // size)  # past the 1 MiB of other endpoints
    assert put(client, tenant, INTERVAL, fits)["failed_records"] == []
    content = b"[" + b" " * (5 * 1024 * 1024) + b"]"
    response = client.put(
        INTERVAL, content=content, headers=tenant.test | {"content-type": "application/json"}
    )
    assert_error(response, 413, "request_too_large")


@pytest.mark.parametrize("body", [{"records": []}, "text", None])
def test_a_body_that_is_no_array_is_400(client, tenant, body):
    response = client.put(INTERVAL, json=body, headers=tenant.test)
    assert_error(response, 400, "data_json_invalid", context=CONTEXT)
