"""POST /costs/instant: the matrix, an exact answer, non_persistent, refusals, a record across
a price change and across a tariff replacement."""

import pytest

from tests.costs.support import connect_flat, replaced_at
from tests.helpers import assert_error, assert_scoped
from tests.meters.support import record, stored
from tests.schedules.support import connect, make_location, post
from tests.tariffs.support import tariff_body, two_rate

CONTEXT = "api.cost_instant"
PATH = "/costs/instant"


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)["id"]


def cost(body):
    return body["data"]["energy"]["value"], body["data"]["cost"]["value"]


def test_matrix(client, tenant, other_tenant, location):
    connect_flat(client, tenant, location, 0.3)
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        PATH,
        json=record(location),
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_an_answer_in_full_and_the_record_kept(client, tenant, database, location):
    connect_flat(client, tenant, location, 0.3)
    body = record(location, record_reference_id="r-1", session_reference_id="s-1", value=1500)
    body["start_time"], body["end_time"] = "2026-06-01T01:00:00+01:00", "2026-06-01T01:30:00+01:00"
    answer = post(client, tenant, PATH, body)
    assert answer["id"].startswith("mre_") and answer["time_created"].endswith("Z")
    assert {k: v for k, v in answer.items() if k not in {"id", "time_created"}} == {
        "object": "meter_record",
        "live_mode": False,
        "location_id": location,
        "device_id": None,
        "energy_flow_direction": "INBOUND",
        "tariff_direction": "IMPORT",
        "currency_code": "GBP",
        "energy_units": "WH",
        "request": {
            "non_persistent": False,
            "location_id": location,
            "device_id": None,
            "session_reference_id": "s-1",
            "record_reference_id": "r-1",
            "units": "WH",
            "value": 1500.0,
            "start_time": "2026-06-01T01:00:00+01:00",
            "end_time": "2026-06-01T01:30:00+01:00",
        },
        "data": {
            "start_time": "2026-06-01T01:00:00+01:00",
            "end_time": "2026-06-01T01:30:00+01:00",
            "session_reference_id": "s-1",
            "record_reference_id": "r-1",
            "energy": {"value": 1500.0},
            "cost": {"value": 0.45, "confidence": 1.0},
        },
        "account_id": tenant.account_id,
    }
    assert [(r[0], r[4], r[5]) for r in stored(database, location)] == [
        ("2026-06-01T00:00:00+00:00", 1500, "r-1")
    ]
    again = post(client, tenant, PATH, body | {"value": 1000})  # same reference: replaced
    assert cost(again) == (1000.0, 0.3)
    assert [r[4] for r in stored(database, location)] == [1000]


def test_non_persistent_prices_without_storing(client, tenant, database, location):
    connect_flat(client, tenant, location, 0.3)
    answer = post(
        client, tenant, f"{PATH}?non_persistent=true", record(location, units="KW", value=2)
    )
    assert answer["request"]["non_persistent"] is True
    assert cost(answer) == (1000.0, 0.3)
    assert stored(database, location) == []


def test_a_record_across_a_price_change_is_split_by_time(client, tenant, location):
    connect(client, tenant, tariff_body(location, two_rate(0.1, 0.3)))  # cheap 00:30-07:30
    body = record(location, units="KWH", value=1)
    body["start_time"], body["end_time"] = "2026-01-15T00:00:00Z", "2026-01-15T01:00:00Z"
    assert cost(post(client, tenant, PATH, body)) == (1000.0, 0.2)  # half at 0.3, half at 0.1


def test_a_replaced_tariff_prices_what_flowed_before(client, tenant, database, location):
    old = connect_flat(client, tenant, location, 0.2)
    connect_flat(client, tenant, location, 0.4)
    replaced_at(database, old, "2026-06-01T12:00:00+00:00")
    body = record(location, units="KWH", value=2)
    for start, end, expected in [
        ("2026-06-01T10:00:00Z", "2026-06-01T12:00:00Z", 0.4),
        ("2026-06-01T11:00:00Z", "2026-06-01T13:00:00Z", 0.6),
        ("2026-06-01T12:00:00Z", "2026-06-01T14:00:00Z", 0.8),
    ]:
        answer = post(
            client,
            tenant,
            f"{PATH}?non_persistent=true",
            body | {"start_time": start, "end_time": end},
        )
        assert cost(answer) == (2000.0, expected)


def test_exports_are_priced_by_the_export_tariff(client, tenant, location):
    connect_flat(client, tenant, location, 0.3)
    connect_flat(client, tenant, location, 0.15, tariff_direction="EXPORT")
    answer = post(
        client, tenant, PATH, record(location, energy_flow_direction="OUTBOUND", value=2000)
    )
    assert (answer["tariff_direction"], cost(answer)) == ("EXPORT", (2000.0, 0.3))


@pytest.mark.parametrize(
    "fields, status, code",
    [
        ({"units": "MWH"}, 400, "units_invalid"),
        ({"end_time": "2026-05-31T00:00:00Z"}, 400, "end_time_before_start_time"),
        ({"end_time": "2026-08-01T00:00:00Z"}, 400, "record_too_long"),
        ({"value": -5}, 400, "value_invalid"),
        ({"tariff_direction": "LOCAL"}, 400, "tariff_direction_not_supported"),
        ({"device_id": "dev_000000000000000000000000"}, 404, "device_not_found"),
        ({"tariff_direction": "EXPORT"}, 422, "no_tariff_connected"),
    ],
)
def test_refusals(client, tenant, database, location, fields, status, code):
    connect_flat(client, tenant, location, 0.3)
    response = client.post(PATH, json=record(location) | fields, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)
    assert stored(database, location) == []
