"""Routes taking only `Api` and path parameters skip FastAPI's dependency resolution
(auth.routing.ApiRoute.get_route_handler) and answer exactly as through it."""

import pytest
from fastapi import routing

from tariffconnect.auth.context import api_context
from tests.helpers import assert_error

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}


@pytest.fixture
def resolutions(monkeypatch):
    """How many times FastAPI's request handler resolved a route's dependencies."""
    calls = []
    solve = routing.solve_dependencies

    async def counted(**kwargs):
        calls.append(kwargs["dependant"].call)
        return await solve(**kwargs)

    monkeypatch.setattr(routing, "solve_dependencies", counted)
    return calls


def test_account_and_a_read_by_id_resolve_no_dependency(client, tenant, resolutions):
    headers = tenant.test
    resolutions.clear()
    location = client.post("/locations", json=LOCATION, headers=headers)
    assert location.status_code == 201, location.text
    assert len(resolutions) == 1  # POST /locations has a body: FastAPI's own handler
    resolutions.clear()

    account = client.get("/account", headers=headers)
    assert account.status_code == 200
    assert account.json() == {
        "id": tenant.account_id,
        "object": "account",
        "name": "Test",
        "live_mode": False,
        "time_created": account.json()["time_created"],
    }
    read = client.get(f"/locations/{location.json()['id']}", headers=headers)
    assert read.status_code == 200
    assert read.json() == location.json()
    assert resolutions == []


def test_a_route_with_query_parameters_keeps_fastapis_handler(client, tenant, resolutions):
    headers = tenant.test
    resolutions.clear()
    assert client.get("/locations?limit=1", headers=headers).status_code == 200
    assert len(resolutions) == 1


def test_errors_are_the_same(client, tenant, resolutions):
    headers = tenant.test
    resolutions.clear()
    assert_error(client.get("/account"), 401, "authentication_required")
    assert_error(
        client.get("/locations/loc_0000000000000000000000ff", headers=headers),
        404,
        "location_not_found",
    )
    assert resolutions == []


def test_a_session_id_of_the_wrong_shape(client, tenant, resolutions):
    """SessionId must start with cot_: such a path is no endpoint, as before."""
    headers = tenant.test
    resolutions.clear()
    body = assert_error(client.get("/connect/sess_1", headers=headers), 404, "route_not_found")
    assert body["message"] == "No such endpoint."
    assert resolutions == []


def test_a_dependency_override_is_honoured(app, client, tenant, resolutions):
    async def refuse():
        from tariffconnect.core.errors import unauthorized

        raise unauthorized("authentication_required", "overridden")

    headers = tenant.test
    resolutions.clear()
    app.dependency_overrides[api_context] = refuse
    try:
        body = assert_error(client.get("/account", headers=headers), 401, "authentication_required")
    finally:
        app.dependency_overrides.clear()
    assert body["message"] == "overridden"
    assert len(resolutions) == 1
