"""Failure paths: a crash while connecting stores nothing; a database outage is a 503 error
object the front end can read."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import OperationalError

from tariffconnect.connect.flow import machine
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.core.errors import ApiError
from tariffconnect.events import service as event_service
from tests.connect.flow.flow import make_session, plain_provider, post, start, submit


def to_contract(client, token):
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.3})
    return submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Mine"}})


def test_a_crash_while_connecting_leaves_nothing_behind(client, tenant, monkeypatch):
    token = make_session(client, tenant.test)
    page = to_contract(client, token)
    real_record = event_service.record

    def failing_record(session, **kwargs):
        if kwargs["type"] == "connect_session.complete":
            raise RuntimeError("the process dies here")
        return real_record(session, **kwargs)

    monkeypatch.setattr(event_service, "record", failing_record)
    response = post(
        client, {"route": "contract_term_capture", "connect_token": token, "type": "submit"}
    )
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    monkeypatch.undo()

    # The tariff, the location's change, the session's completion: none of it was stored.
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert (session["status"], session["data_available"]) == ("IN_PROGRESS", False)
    tariffs = client.get(
        "/tariffs", params={"location_id": session["location_id"]}, headers=tenant.test
    ).json()
    assert tariffs["data"] == []
    events = client.get(
        "/events", params={"object_id": session["location_id"]}, headers=tenant.test
    ).json()
    assert [e["type"] for e in events["data"]] == ["location.create"]
    assert start(client, token) == page
    # And the customer can try again.
    assert submit(client, token, "contract_term_capture")["route"] == "tariff_summary"


def test_database_unavailable_is_a_503_error_object_with_cors(client, app, tenant, monkeypatch):
    token = make_session(client, tenant.test)
    db = app.state.runtime.db

    def down(*, write=True):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db, "transaction", down)
    response = post(client, {"route": "session_start", "connect_token": token})
    assert response.status_code == 503
    assert response.headers["access-control-allow-origin"] == "*"
    answer = response.json()
    assert (answer["code"], answer["type"]) == ("database_unavailable", "api_error")
    assert answer["connect_token"] == token
    assert answer["context"] == "connect.session_start"


def test_simultaneous_submits_of_one_session_take_turns(client, database, tenant):
    """Eight tabs answer the same page at once: one moves the session on, the others are
    told the page is no longer current; the session moved exactly one step."""
    token = make_session(client, tenant.test)
    start(client, token)
    request = FlowRequest(
        route="provider_select",
        connect_token=token,
        data={"provider": {"id": plain_provider()}},
    )
    barrier = threading.Barrier(8)

    def answer(_):
        barrier.wait()
        try:
            with database.transaction(write=True) as session:
                return machine.advance(session, request).route
        except ApiError as error:
            return error.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(answer, range(8)))
    assert outcomes == ["route_not_current"] * 7 + ["tariff_structure_select"]
    page = start(client, token)
    assert page["route"] == "tariff_structure_select"
    assert submit(client, token, "tariff_structure_select", action="BACK")["route"] == (
        "provider_select"
    )
