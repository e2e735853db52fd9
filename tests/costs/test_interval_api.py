"""POST /costs/interval/{location_id or device_id}: the matrix, local days across DST (23 and
25 hours), months, a record across a month's end, devices, a tariff replacement, refusals."""

import pytest

from tests.costs.support import connect_flat, periods, replaced_at, submit
from tests.helpers import assert_error, assert_scoped
from tests.meters.support import half_hours, record
from tests.schedules.support import connect, make_device, make_location, post
from tests.tariffs.support import tariff_body, two_rate

CONTEXT = "api.cost_interval"


def cost(client, tenant, object_id, start, end, query="", status=200):
    body = {"start_time": start, "end_time": end}
    return post(client, tenant, f"/costs/interval/{object_id}{query}", body, status)


def test_matrix_for_a_location_and_a_device(client, tenant, other_tenant, location):
    device = make_device(client, tenant)
    window = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-02T00:00:00Z"}
    for object_id, code in ((location, "location_not_found"), (device, "device_not_found")):
        assert_scoped(
            client,
            tenant,
            other_tenant,
            "POST",
            f"/costs/interval/{object_id}",
            json=window,
            not_found_code=code,
            context=CONTEXT,
        )


def test_an_answer_in_full(client, tenant, location):
    submit(client, tenant, half_hours(location, "2026-06-01T00:00:00+00:00", [100, 300]))
    body = cost(client, tenant, location, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")
    assert body["id"].startswith("ecs_") and body["time_created"].endswith("Z")
    assert {k: v for k, v in body.items() if k not in {"id", "time_created"}} == {
        "object": "energy_cost",
        "object_id": location,
        "live_mode": False,
        "location_id": location,
        "tariff_direction": "IMPORT",
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "energy_units": "WH",
        "request": {
            "start_time": "2026-06-01T00:00:00Z",
            "end_time": "2026-06-02T00:00:00Z",
            "aggregation": None,
            "tariff_direction": "IMPORT",
            "session_reference_id": None,
        },
        "data": [
            {
                "start_time": "2026-06-01T00:00:00Z",
                "end_time": "2026-06-02T00:00:00Z",
                "energy": {"value": 400.0},
                "cost": {"value": 0.1, "confidence": 1.0},
            }
        ],
        "account_id": tenant.account_id,
    }


def test_local_days_of_23_hours(client, tenant, location):
    # London springs forward on 29 March 2026: that local day has 46 half hours.
    submit(client, tenant, half_hours(location, "2026-03-28T00:00:00+00:00", [100] * 94))
    body = cost(
        client,
        tenant,
        location,
        "2026-03-28T00:00:00+00:00",
        "2026-03-30T00:00:00+01:00",
        "?aggregation=DAY",
    )
    # Times come back in end_time's offset: 29 March began at 00:00 GMT, 01:00+01:00.
    assert periods(body) == [
        ("2026-03-28T01:00:00+01:00", "2026-03-29T01:00:00+01:00", 4800.0, 1.2, 1.0),
        ("2026-03-29T01:00:00+01:00", "2026-03-30T00:00:00+01:00", 4600.0, 1.15, 1.0),
    ]


def test_local_days_of_25_hours(client, tenant, location):
    # London falls back on 25 October 2026: that local day has 50 half hours.
    submit(client, tenant, half_hours(location, "2026-10-24T00:00:00+01:00", [100] * 98))
    body = cost(
        client,
        tenant,
        location,
        "2026-10-24T00:00:00+01:00",
        "2026-10-26T00:00:00Z",
        "?aggregation=DAY",
    )
    assert periods(body) == [
        ("2026-10-23T23:00:00Z", "2026-10-24T23:00:00Z", 4800.0, 1.2, 1.0),
        ("2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", 5000.0, 1.25, 1.0),
    ]


def test_months_and_a_record_across_their_end(client, tenant, location):
    records = [
        record(
            location,
            units="KWH",
            value=1,
            start_time="2026-02-10T00:00:00Z",
            end_time="2026-02-10T01:00:00Z",
        ),
        # Two hours across the end of February: half in each month.
        record(
            location,
            units="KWH",
            value=2,
            start_time="2026-02-28T23:00:00Z",
            end_time="2026-03-01T01:00:00Z",
        ),
        record(
            location,
            units="KWH",
            value=2,
            start_time="2026-03-30T00:00:00+01:00",
            end_time="2026-03-30T01:00:00+01:00",
        ),
    ]
    submit(client, tenant, records)
    body = cost(
        client,
        tenant,
        location,
        "2026-02-01T00:00:00Z",
        "2026-04-01T00:00:00+01:00",
        "?aggregation=MONTH",
    )
    assert periods(body) == [
        ("2026-02-01T01:00:00+01:00", "2026-03-01T01:00:00+01:00", 2000.0, 0.5, 1.0),
        ("2026-03-01T01:00:00+01:00", "2026-04-01T00:00:00+01:00", 3000.0, 0.75, 1.0),
    ]


def test_only_the_windows_part_of_a_record_counts(client, tenant, location):
    submit(
        client,
        tenant,
        [
            record(
                location,
                units="KWH",
                value=3,
                start_time="2026-06-01T00:00:00Z",
                end_time="2026-06-01T03:00:00Z",
            )
        ],
    )
    body = cost(client, tenant, location, "2026-06-01T01:00:00Z", "2026-06-01T02:30:00Z")
    assert periods(body) == [("2026-06-01T01:00:00Z", "2026-06-01T02:30:00Z", 1500.0, 0.375, 1.0)]


def test_a_device_counts_its_own_records(client, tenant, location):
    device = make_device(client, tenant)
    submit(
        client,
        tenant,
        [
            record(location, device_id=device, value=1000),
            record(location, value=4000),
        ],
    )
    body = cost(client, tenant, device, "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")
    assert (body["object_id"], periods(body)) == (
        device,
        [("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", 1000.0, 0.25, 1.0)],
    )


def test_a_device_without_records_or_location(client, tenant):
    device = make_device(client, tenant)
    response = client.post(
        f"/costs/interval/{device}",
        json={"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-02T00:00:00Z"},
        headers=tenant.test,
    )
    assert_error(response, 422, "no_meter_records", context=CONTEXT)


def test_days_across_a_tariff_replacement(client, tenant, database):
    location = make_location(client, tenant)["id"]
    old = connect_flat(client, tenant, location, 0.2)
    connect_flat(client, tenant, location, 0.4)
    replaced_at(database, old, "2026-06-02T12:00:00+00:00")
    submit(client, tenant, half_hours(location, "2026-06-01T23:00:00+00:00", [500] * 96))
    body = cost(
        client,
        tenant,
        location,
        "2026-06-02T00:00:00+01:00",
        "2026-06-04T00:00:00+01:00",
        "?aggregation=DAY",
    )
    # 2 June (from 23:00Z): 13 hours at 0.2 and 11 at 0.4; 3 June: all at 0.4.
    assert periods(body) == [
        ("2026-06-02T00:00:00+01:00", "2026-06-03T00:00:00+01:00", 24000.0, 7.0, 1.0),
        ("2026-06-03T00:00:00+01:00", "2026-06-04T00:00:00+01:00", 24000.0, 9.6, 1.0),
    ]


def test_empty_periods_are_zero(client, tenant, location):
    body = cost(
        client,
        tenant,
        location,
        "2026-06-01T00:00:00+01:00",
        "2026-06-03T00:00:00+01:00",
        "?aggregation=DAY",
    )
    assert [p[2:] for p in periods(body)] == [(0.0, 0.0, 1.0), (0.0, 0.0, 1.0)]


@pytest.mark.parametrize(
    "window, query, status, code",
    [
        (("2026-06-02T00:00:00Z", "2026-06-01T00:00:00Z"), "", 400, "time_window_invalid"),
        (("2026-01-01T00:00:00Z", "2027-01-02T00:00:01Z"), "", 400, "time_window_too_long"),
        (
            ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
            "?aggregation=WEEK",
            400,
            "aggregation_invalid",
        ),
        (
            ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
            "?direction=EXPORT",
            422,
            "no_tariff_connected",
        ),
        (("2026-06-01T00:00:00", "2026-06-02T00:00:00Z"), "", 400, "start_time_invalid"),
    ],
)
def test_refusals(client, tenant, location, window, query, status, code):
    body = {"start_time": window[0], "end_time": window[1]}
    response = client.post(f"/costs/interval/{location}{query}", json=body, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)


def test_a_year_fits_in_one_window(client, tenant, location):
    body = cost(
        client,
        tenant,
        location,
        "2028-01-01T00:00:00Z",
        "2029-01-01T00:00:00Z",
        "?aggregation=MONTH",
    )
    assert len(body["data"]) == 12


def test_fractions_of_a_second_split_exactly(client, tenant):
    location = make_location(client, tenant)["id"]
    connect(client, tenant, tariff_body(location, two_rate(0.1, 0.3)))  # cheap from 00:30
    one = record(
        location,
        units="KWH",
        value=1,
        start_time="2026-01-15T00:29:59.500000Z",
        end_time="2026-01-15T00:30:00.500000Z",
    )
    submit(client, tenant, [one])
    body = cost(client, tenant, location, "2026-01-15T00:00:00Z", "2026-01-15T01:00:00Z")
    assert periods(body) == [("2026-01-15T00:00:00Z", "2026-01-15T01:00:00Z", 1000.0, 0.2, 1.0)]
