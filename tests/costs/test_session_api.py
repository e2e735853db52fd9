"""POST /costs/session/{session_reference_id}: the matrix, a session's total, refusals."""

from tests.costs.support import periods, submit
from tests.helpers import assert_error, assert_scoped
from tests.meters.support import half_hours
from tests.schedules.support import post

CONTEXT = "api.cost_session"


def one_record(client, tenant, location, session_reference_id):
    first = "2026-06-01T00:00:00+00:00"
    records = half_hours(location, first, [100], session_reference_id=session_reference_id)
    submit(client, tenant, records)


def test_matrix(client, tenant, other_tenant, location):
    one_record(client, tenant, location, "m-1")
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        "/costs/session/m-1",
        not_found_code="session_not_found",
        context=CONTEXT,
    )


def test_a_sessions_records_only(client, tenant, location):
    charge = half_hours(
        location, "2026-06-01T18:00:00+00:00", [2000, 2000, 1000], session_reference_id="charge-7"
    )
    other = half_hours(location, "2026-06-01T18:00:00+00:00", [500, 500])
    submit(client, tenant, charge + other)
    body = post(client, tenant, "/costs/session/charge-7", {})
    assert (body["object_id"], body["request"]) == (
        "charge-7",
        {
            "start_time": "2026-06-01T18:00:00Z",
            "end_time": "2026-06-01T19:30:00Z",
            "aggregation": None,
            "tariff_direction": "IMPORT",
            "session_reference_id": "charge-7",
        },
    )
    assert periods(body) == [("2026-06-01T18:00:00Z", "2026-06-01T19:30:00Z", 5000.0, 1.25, 1.0)]


def test_an_unknown_session_or_direction(client, tenant, location):
    one_record(client, tenant, location, "s")
    for path in ("/costs/session/nope", "/costs/session/s?direction=EXPORT"):
        response = client.post(path, headers=tenant.test)
        assert_error(response, 404, "session_not_found", context=CONTEXT)
    response = client.post("/costs/session/s?tariff_direction=SIDEWAYS", headers=tenant.test)
    assert_error(response, 400, "tariff_direction_invalid", context=CONTEXT)
