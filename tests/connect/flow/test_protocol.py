"""The wire: JSON whatever the Content-Type, CORS, the error object, tokens, aliases."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tariffconnect.app import create_app
from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.timeutil import utcnow
from tests.connect.flow.flow import make_session, post, start, submit

ERROR_KEYS = [
    "object",
    "type",
    "code",
    "message",
    "errors",
    "context",
    "connect_token",
    "live_mode",
    "request_id",
    "time_created",
]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain;charset=UTF-8", "application/json", "application/x-www-form-urlencoded"],
)
def test_body_is_json_whatever_the_content_type(client, tenant, content_type):
    token = make_session(client, tenant.test)
    headers = {"Content-Type": content_type} if content_type else {}
    body = orjson.dumps({"route": "session_start", "connect_token": token, "type": "submit"})
    response = client.post("/connect/flow", content=body, headers=headers)
    assert response.status_code == 200
    answer = response.json()
    assert list(answer) == [
        "connect_token",
        "route",
        "type",
        "tariff_type",
        "direction",
        "live_mode",
        "actions",
        "data",
    ]
    assert answer["connect_token"] == token
    assert answer["route"] == "provider_select"
    assert (answer["type"], answer["tariff_type"], answer["direction"]) == (
        "render",
        "COMMODITY",
        "IMPORT",
    )
    assert answer["live_mode"] is False
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"


def test_cors_preflight(client):
    response = client.options(
        "/connect/flow",
        headers={
            "Origin": "https://connect-web.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "Content-Type, Flatpeak-Version"
    assert response.headers["access-control-expose-headers"] == (
        "Flatpeak-Version, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
    )


def test_live_mode_session_says_so(client, tenant):
    token = make_session(client, tenant.live)
    assert start(client, token)["live_mode"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "data_json_invalid"),
        (b"[1, 2]", "data_json_invalid"),
        (b"", "data_json_invalid"),
        (b'{"route": "session_start"}', "connect_token_missing"),
        (b'{"connect_token": "cot_0"}', "route_missing"),
        (b'{"route": 7, "connect_token": "x"}', "route_invalid"),
    ],
)
def test_malformed_bodies(client, body, code):
    response = post(client, body)
    assert response.status_code == 400
    answer = response.json()
    assert list(answer) == ERROR_KEYS
    assert answer["code"] == code
    assert answer["object"] == "error"
    assert answer["type"] == "invalid_request"
    assert answer["request_id"] == response.headers["request-id"]
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("token", ["cot_" + "0" * 24, "cot_nope", "loc_" + "1" * 24, "x" * 64])
def test_unknown_token(client, token):
    answer = submit(client, token, "session_start", status=404)
    assert answer["code"] == "connect_token_invalid"
    assert answer["connect_token"] == token
    assert answer["context"] == "connect.session_start"


def test_expired_token(client, database, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    with database.transaction() as session:
        session.execute(
            update(ConnectSession)
            .where(ConnectSession.id == token)
            .values(time_expiry=utcnow() - timedelta(seconds=1))
        )
    answer = submit(client, token, "session_start", status=410)
    assert answer["code"] == "connect_token_expired"
    answer = submit(client, token, "provider_select", action="CLOSE", status=410)
    assert answer["code"] == "connect_token_expired"
    assert answer["context"] == "connect.provider_select"


def test_session_id_is_the_early_name_of_the_token(client, tenant):
    token = make_session(client, tenant.test)
    response = post(client, {"route": "session_restore", "session_id": token})
    assert response.status_code == 200
    assert response.json()["connect_token"] == token


def test_flow_on_its_own_host_and_path(settings, database, tenant, client):
    custom = settings.model_copy(
        update={"connect_flow_host": "connect.example.com", "connect_flow_path": "/v1/connect"}
    )
    token = make_session(client, tenant.test)
    body = orjson.dumps({"route": "session_start", "connect_token": token})
    with TestClient(create_app(custom, database=database)) as other:
        root = other.post("/", content=body, headers={"Host": "connect.example.com"})
        assert root.status_code == 200
        assert root.json()["route"] == "provider_select"
        assert other.post("/v1/connect", content=body).status_code == 200
        # Another host's root is not the flow.
        assert other.post("/", content=body, headers={"Host": "api.example.com"}).status_code == 404
        assert other.post("/connect/flow", content=body).status_code in {404, 405}
