"""Routing that never misleads: 405 names the path's operations; `/connect/{id}` is only
ever a `cot_…` id."""

from tests.helpers import assert_error


def test_a_wrong_method_names_every_operation_of_the_path(client, tenant):
    response = client.delete("/connect/cot_6587fa4362341be5b524de3b", headers=tenant.test)
    body = assert_error(response, 405, "method_not_allowed", context="api.connect_session_retrieve")
    assert body["message"] == (
        "DELETE is not allowed on /connect/{connect_session_id}; it answers "
        "GET (connect_session_retrieve), PATCH (connect_session_update)."
    )
    assert response.headers["allow"] == "GET, PATCH"


def test_a_wrong_method_on_a_single_operation_path(client):
    response = client.delete("/login")
    body = assert_error(response, 405, "method_not_allowed", context="api.login")
    assert body["message"] == "DELETE is not allowed on /login; it answers GET (login)."
    assert response.headers["allow"] == "GET"


def test_connect_paths_that_are_not_token_ids_are_never_a_session(client, tenant):
    for path in ("/connect/nothing", "/connect/session", "/connect/cotx_1"):
        response = client.get(path, headers=tenant.test)
        assert_error(response, 404, "route_not_found", context="api.request")


def test_a_token_shaped_id_is_a_session_lookup(client, tenant):
    response = client.get("/connect/cot_000000000000000000000000", headers=tenant.test)
    assert_error(response, 404, "connect_session_not_found", context="api.connect_session_retrieve")


def test_the_schema_says_session_ids_start_cot(client):
    spec = client.get("/openapi.json").json()
    for method in ("get", "patch"):
        [parameter] = spec["paths"]["/connect/{connect_session_id}"][method]["parameters"]
        assert parameter["schema"]["pattern"] == "^cot_"
