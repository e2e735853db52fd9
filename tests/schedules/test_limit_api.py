"""POST /schedules/limit/{location_id}: the matrix, refusals and exact answers."""

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
from tests.tariffs.support import flat, tariff_body

CONTEXT = "api.schedule_by_limit"
WINDOW = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T01:30:00Z"}
QUARTERS = ["0.30", "0.10", "0.20", "0.10", "0.50", "0.05"]  # range 0.05-0.50


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)


def path(location):
    return f"/schedules/limit/{location['id']}"


@pytest.fixture
def market(client, tenant, database, location):
    connect_market(client, tenant, database, location["id"], "2026-06-01T00:00:00+00:00", QUARTERS)


def test_matrix(client, tenant, other_tenant, location):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        path(location),
        json=WINDOW | {"segment": "LOW", "relative": 0.5},
        not_found_code="location_not_found",
        context=CONTEXT,
    )


def test_relative_low_answer_in_full(client, tenant, location, market):
    body = post(client, tenant, path(location), WINDOW | {"segment": "LOW", "relative": 0.35})
    assert check_head(
        body, obj="schedule_limit", prefix="spl", tenant=tenant, location=location
    ) == {
        "object": "schedule_limit",
        "live_mode": False,
        "location_id": location["id"],
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "tariff_direction": "IMPORT",
        "duration": 60,
        "request": {
            "tariff_direction": "IMPORT",
            "segment": "LOW",
            "relative": 0.35,
            "absolute": None,
            "start_time": "2026-06-01T00:00:00Z",
            "end_time": "2026-06-01T01:30:00Z",
        },
        # At most 0.05 + 0.35 x 0.45 = 0.2075: the 0.10, 0.20, 0.10 run and the 0.05 quarter.
        "data": [
            {
                "start_time": "2026-06-01T00:15:00Z",
                "end_time": "2026-06-01T01:00:00Z",
                "tariff": {"rate_avg": 0.13333, "confidence": 1.0},
            },
            {
                "start_time": "2026-06-01T01:15:00Z",
                "end_time": "2026-06-01T01:30:00Z",
                "tariff": {"rate_avg": 0.05, "confidence": 1.0},
            },
        ],
        "account_id": tenant.account_id,
    }


def test_relative_high(client, tenant, location, market):
    # At least 0.50 - 0.5 x 0.45 = 0.275: the 0.30 and 0.50 quarters.
    body = post(client, tenant, path(location), WINDOW | {"segment": "HIGH", "relative": 0.5})
    assert body["duration"] == 30
    assert windows(body) == [
        ("2026-06-01T00:00:00Z", "2026-06-01T00:15:00Z", 0.3, 1.0),
        ("2026-06-01T01:00:00Z", "2026-06-01T01:15:00Z", 0.5, 1.0),
    ]


def test_absolute_wins_over_relative(client, tenant, location, market):
    request = WINDOW | {"segment": "LOW", "relative": 1, "absolute": 0.1}
    body = post(client, tenant, path(location), request)
    assert body["request"]["absolute"] == 0.1 and body["request"]["relative"] == 1.0
    assert windows(body) == [
        ("2026-06-01T00:15:00Z", "2026-06-01T00:30:00Z", 0.1, 1.0),
        ("2026-06-01T00:45:00Z", "2026-06-01T01:00:00Z", 0.1, 1.0),
        ("2026-06-01T01:15:00Z", "2026-06-01T01:30:00Z", 0.05, 1.0),
    ]


def test_nothing_within_the_limit_is_an_empty_schedule(client, tenant, location, market):
    body = post(client, tenant, path(location), WINDOW | {"segment": "LOW", "absolute": 0.01})
    assert (body["duration"], body["data"]) == (0, [])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"relative": 0}, "relative_invalid"),
        ({"relative": 0.009}, "relative_invalid"),
        ({"relative": 1.01}, "relative_invalid"),
        ({"relative": "half"}, "relative_invalid"),
        ({"relative": None}, "relative_missing"),
        ({"relative": None, "absolute": "cheap"}, "absolute_invalid"),
        ({"segment": "low"}, "segment_invalid"),
        ({"end_time": "2026-06-04T00:00:01Z"}, "time_window_too_long"),
        ({"end_time": "2026-05-31T00:00:00Z"}, "time_window_invalid"),
    ],
)
def test_refusals(client, tenant, location, change, code):
    connect(client, tenant, tariff_body(location["id"], flat(0.3)))
    body = {k: v for k, v in (WINDOW | {"segment": "LOW", "relative": 0.5} | change).items()}
    if body["relative"] is None:
        del body["relative"]
    response = client.post(path(location), json=body, headers=tenant.test)
    assert_error(response, 400, code, context=CONTEXT)


def test_no_tariff_is_422(client, tenant, location):
    response = client.post(
        path(location), json=WINDOW | {"segment": "LOW", "relative": 0.5}, headers=tenant.test
    )
    assert_error(response, 422, "no_tariff_connected", context=CONTEXT)
