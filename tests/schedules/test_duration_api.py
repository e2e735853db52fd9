"""POST /schedules/duration/{location_id}: the matrix, refusals, exact answers, DST days."""

import pytest

from tests.helpers import assert_error, assert_scoped
from tests.schedules.support import (
    check_head,
    connect,
    connect_market,
    make_location,
    post,
    windows,
)
from tests.tariffs.support import flat, tariff_body, two_rate

CONTEXT = "api.schedule_by_duration"
WINDOW = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T01:30:00Z"}
QUARTERS = ["0.30", "0.10", "0.20", "0.10", "0.50", "0.05"]  # 00:00-01:30Z


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)


def path(location):
    return f"/schedules/duration/{location['id']}"


def test_matrix(client, tenant, other_tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        path(location),
        json=WINDOW | {"segment": "LOW", "duration": 30},
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_split_answer_in_full(client, tenant, database, location):
    connect_market(client, tenant, database, location["id"], "2026-06-01T00:00:00+00:00", QUARTERS)
    request = WINDOW | {"segment": "LOW", "duration": 50}
    body = post(client, tenant, path(location), request)
    assert check_head(
        body, obj="schedule_duration", prefix="std", tenant=tenant, location=location
    ) == {
        "object": "schedule_duration",
        "live_mode": False,
        "location_id": location["id"],
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "tariff_direction": "IMPORT",
        "request": {
            "tariff_direction": "IMPORT",
            "segment": "LOW",
            "duration": 50,
            "continuous": False,
            "start_time": "2026-06-01T00:00:00Z",
            "end_time": "2026-06-01T01:30:00Z",
        },
        # Three whole quarter hours (0.05, then 0.10 twice), then the first 5 minutes of the
        # next best (0.20, 00:30-00:45), which joins the 0.10 quarter before it.
        "data": [
            {
                "start_time": "2026-06-01T00:15:00Z",
                "end_time": "2026-06-01T00:35:00Z",
                "tariff": {"rate_avg": 0.125, "confidence": 1.0},
            },
            {
                "start_time": "2026-06-01T00:45:00Z",
                "end_time": "2026-06-01T01:00:00Z",
                "tariff": {"rate_avg": 0.1, "confidence": 1.0},
            },
            {
                "start_time": "2026-06-01T01:15:00Z",
                "end_time": "2026-06-01T01:30:00Z",
                "tariff": {"rate_avg": 0.05, "confidence": 1.0},
            },
        ],
        "account_id": tenant.account_id,
    }


def test_continuous_high_export_with_zeros_direction(client, tenant, database, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    connect_market(
        client,
        tenant,
        database,
        location["id"],
        "2026-06-01T00:00:00+00:00",
        QUARTERS,
        tariff_direction="EXPORT",
    )
    request = WINDOW | {"segment": "HIGH", "duration": 20, "continuous": True}
    body = post(client, tenant, path(location), request | {"direction": "EXPORT"})
    assert body["tariff_direction"] == body["request"]["tariff_direction"] == "EXPORT"
    # The dearest 20 minutes in one piece: 00:55-01:15 has 5 min at 0.10 and 15 at 0.50.
    assert windows(body) == [("2026-06-01T00:55:00Z", "2026-06-01T01:15:00Z", 0.4, 1.0)]


def test_equal_prices_go_to_the_earliest(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    request = WINDOW | {"segment": "LOW", "duration": 25}
    assert windows(post(client, tenant, path(location), request)) == [
        ("2026-06-01T00:00:00Z", "2026-06-01T00:25:00Z", 0.3, 1.0)
    ]
    request |= {"continuous": True}
    assert windows(post(client, tenant, path(location), request)) == [
        ("2026-06-01T00:00:00Z", "2026-06-01T00:25:00Z", 0.3, 1.0)
    ]


def test_answers_in_the_end_times_offset(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    request = {
        "start_time": "2026-06-01T06:00:00Z",
        "end_time": "2026-06-01T09:00:00+01:00",
        "segment": "LOW",
        "duration": 45,
    }
    body = post(client, tenant, path(location), request)
    assert body["request"]["start_time"] == "2026-06-01T07:00:00+01:00"
    # The cheap rate ends at 07:30 local: 07:00-07:30, then the earliest 15 minutes of peak.
    assert windows(body) == [
        ("2026-06-01T07:00:00+01:00", "2026-06-01T07:45:00+01:00", 0.16667, 1.0)
    ]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"duration": 91}, 400, "duration_too_long"),
        ({"duration": 0}, 400, "duration_invalid"),
        ({"duration": 1.5}, 400, "duration_invalid"),
        ({"duration": None}, 400, "duration_invalid"),
        ({"segment": "MIDDLE"}, 400, "segment_invalid"),
        ({"continuous": "sometimes"}, 400, "continuous_invalid"),
        ({"tariff_direction": "LOCAL"}, 400, "tariff_direction_invalid"),
        ({"end_time": "2026-06-04T00:00:01Z"}, 400, "time_window_too_long"),
        ({"end_time": "2026-06-01T00:00:00Z"}, 400, "time_window_invalid"),
        ({"end_time": "2026-05-31T00:00:00Z"}, 400, "time_window_invalid"),
        ({"start_time": "2026-06-01T00:00:00"}, 400, "start_time_invalid"),
        ({"colour": "red"}, 400, "colour_unknown"),
        (
            {"end_time": "2026-06-02T00:00:00Z", "tariff_direction": "EXPORT"},
            422,
            "no_tariff_connected",
        ),
    ],
)
def test_refusals(client, tenant, location, change, status, code):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = WINDOW | {"segment": "LOW", "duration": 30} | change
    response = client.post(path(location), json=body, headers=tenant.test)
    assert_error(response, status, code, context=CONTEXT)


def test_missing_fields(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    for field in ("segment", "duration", "end_time"):
        body = {
            k: v for k, v in (WINDOW | {"segment": "LOW", "duration": 30}).items() if k != field
        }
        response = client.post(path(location), json=body, headers=tenant.test)
        assert_error(response, 400, f"{field}_missing", context=CONTEXT)


def test_exactly_3_days_is_allowed(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    request = {
        "start_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-04T00:00:00Z",
        "segment": "LOW",
        "duration": 4320,
    }
    assert windows(post(client, tenant, path(location), request)) == [
        ("2026-06-01T00:00:00Z", "2026-06-04T00:00:00Z", 0.3, 1.0)
    ]


def test_no_price_data_is_422(client, tenant, database, location):
    connect_market(client, tenant, database, location["id"], "2026-06-01T00:00:00+00:00", QUARTERS)
    request = WINDOW | {"end_time": "2026-06-01T02:00:00Z", "segment": "LOW", "duration": 30}
    response = client.post(path(location), json=request, headers=tenant.test)
    assert_error(response, 422, "no_price_data", context=CONTEXT)


def test_no_tariff_is_422(client, tenant, location):
    response = client.post(
        path(location), json=WINDOW | {"segment": "LOW", "duration": 30}, headers=tenant.test
    )
    assert_error(response, 422, "no_tariff_connected", context=CONTEXT)
