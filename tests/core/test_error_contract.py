"""Every non-2xx answer is the error object, with a stable code and the request id."""

import orjson
import pytest
from starlette.testclient import TestClient

from tariffconnect.core.errors import ApiError, error_response
from tests.core.probe_app import probe_app
from tests.helpers import assert_error


@pytest.fixture(scope="module")
def probe(settings, database):
    with TestClient(probe_app(settings, database), raise_server_exceptions=False) as client:
        yield client


def test_unknown_route_is_404(probe):
    assert_error(probe.get("/no/such/thing"), 404, "route_not_found", context="api.request")


def test_wrong_method_is_405(probe):
    body = assert_error(probe.delete("/login"), 405, "method_not_allowed", context="api.login")
    assert body["message"]


def test_malformed_json_is_400_data_json_invalid(probe):
    response = probe.post(
        "/_probe/echo", content=b'{"location_id": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "data_json_invalid", context="api.probe_echo")


@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"12"])
def test_json_that_is_not_an_object_is_data_json_invalid(probe, payload):
    response = probe.post(
        "/_probe/echo", content=payload, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "data_json_invalid", context="api.probe_echo")


def test_missing_field_code_names_the_field(probe):
    body = assert_error(
        probe.post("/_probe/echo", json={}), 400, "location_id_missing", context="api.probe_echo"
    )
    assert "location_id" in body["message"]


def test_unknown_field_code_names_the_field(probe):
    response = probe.post("/_probe/echo", json={"location_id": "x", "colour": "red"})
    assert_error(response, 400, "colour_unknown", context="api.probe_echo")


def test_wrong_type_code_names_the_field(probe):
    response = probe.post("/_probe/echo", json={"location_id": "x", "count": "many"})
    assert_error(response, 400, "count_invalid", context="api.probe_echo")


def test_nested_field_codes_name_the_innermost_field(probe):
    response = probe.post(
        "/_probe/echo", json={"location_id": "x", "postal_address": {"city": "Leeds"}}
    )
    body = assert_error(response, 400, "country_code_missing", context="api.probe_echo")
    assert "postal_address.country_code" in body["message"]


def test_valid_body_passes(probe):
    response = probe.post("/_probe/echo", json={"location_id": "x", "count": 2})
    assert response.status_code == 200
    assert response.json() == {"location_id": "x", "count": 2, "postal_address": None}


def test_body_over_one_mebibyte_is_413(probe, settings):
    padding = "x" * (settings.max_body_bytes + 1)
    response = probe.post("/_probe/echo", json={"location_id": padding})
    assert_error(response, 413, "request_too_large", context="api.request")


def test_chunked_body_over_the_limit_is_413_without_content_length(probe, settings):
    chunk = b"x" * 65536

    def body():
        yield b'{"location_id": "'
        for _ in range(settings.max_body_bytes // len(chunk) + 1):
            yield chunk
        yield b'"}'

    response = probe.post(
        "/_probe/echo", content=body(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "request_too_large", context="api.probe_echo")


def test_body_exactly_at_the_limit_is_accepted(probe, settings):
    overhead = len(orjson.dumps({"location_id": ""}))
    payload = orjson.dumps({"location_id": "y" * (settings.max_body_bytes - overhead)})
    assert len(payload) == settings.max_body_bytes
    response = probe.post(
        "/_probe/echo", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200


def test_unexpected_exception_is_500_without_detail(probe):
    response = probe.get("/_probe/crash")
    body = assert_error(response, 500, "internal_error", context="api.probe_crash")
    assert body["type"] == "api_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


def test_domain_error_keeps_status_and_code(probe):
    assert_error(
        probe.get("/_probe/teapot"), 422, "no_tariff_connected", context="api.probe_teapot"
    )


def test_every_response_has_a_request_id_header(probe):
    ok = probe.get("/health")
    assert ok.status_code == 200
    first, second = ok.headers["request-id"], probe.get("/health").headers["request-id"]
    assert first.startswith("req_") and len(first) == 28
    assert first != second


def test_error_time_created_is_utc_rfc3339(probe):
    body = probe.get("/nowhere").json()
    import re

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["time_created"])


def test_no_pooled_connection_in_time_is_503_database_unavailable(probe):
    body = assert_error(
        probe.get("/_probe/pool"), 503, "database_unavailable", context="api.probe_pool"
    )
    assert (body["type"], body["message"]) == (
        "api_error",
        "The database is unavailable; try again.",
    )
    assert "QueuePool" not in orjson.dumps(body).decode()


def test_an_error_with_its_own_context_and_mode_keeps_them():
    scope = {"type": "http", "state": {"request_id": "req_1", "live_mode": False}}
    error = ApiError(410, "gone", "Gone.", context="connect.session_start", live_mode=True)
    body = orjson.loads(error_response(scope, error).body)
    assert body.pop("time_created")
    assert body == {
        "object": "error",
        "type": "invalid_request",
        "code": "gone",
        "message": "Gone.",
        "context": "connect.session_start",
        "live_mode": True,
        "request_id": "req_1",
    }


def test_more_than_100_header_fields_is_431(probe):
    headers = [(f"x-field-{n}", "1") for n in range(101)]
    response = probe.get("/health", headers=headers)
    assert_error(response, 431, "request_headers_too_large", context="api.request")
    # The client's own few headers plus 90 more: accepted.
    assert probe.get("/health", headers=headers[:90]).status_code == 200


def test_headers_over_64_kib_are_431_even_in_one_field(client, tenant):
    token = "x" * (64 * 1024)
    response = client.get("/account", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 431, "request_headers_too_large", context="api.request")
    under = client.get("/account", headers={"Authorization": f"Bearer {'x' * 60_000}"})
    assert_error(under, 401, "bearer_token_invalid", context="api.account_retrieve")
