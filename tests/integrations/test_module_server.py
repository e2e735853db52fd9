"""The test module's side of the protocol, against a recording stand-in for the Connect API
(the flow's own auth-module routes are tested with the flow)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.integrations.support import module_server

ANSWERS = {
    "start_tariff_integration": {"route": "auth_metadata_capture", "data": {"provider": {}}},
    "auth_metadata_capture": {"route": "consent_capture", "data": {"auth_metadata_id": "amd_1"}},
    "consent_capture": {
        "route": "session_redirect",
        "data": {"redirect_uri": "http://app.example/connect?fp_cot=cot_1"},
    },
    "no_available_tariffs": {"object": "error", "code": "route_not_current", "message": "No."},
}


class _ConnectApi(BaseHTTPRequestHandler):
    seen: list[tuple[str | None, dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.headers.get("Content-Type"), body))
        answer = json.dumps({"connect_token": "cot_1", **ANSWERS[body["route"]]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def connect_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ConnectApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/connect/flow"
    server.shutdown()
    server.server_close()


def test_the_module_speaks_the_sdk_protocol(connect_api: str) -> None:
    _ConnectApi.seen.clear()
    with module_server(connect_api=connect_api) as url:
        start = httpx.get(f"{url}/?fp_cot=cot_1")
        assert start.status_code == 200
        assert 'data-route="auth_metadata_capture"' in start.text
        assert 'action="/auth_metadata_capture?fp_cot=cot_1"' in start.text
        wrong = httpx.post(
            f"{url}/auth_metadata_capture?fp_cot=cot_1", data={"login": "alice", "password": "x"}
        )
        assert wrong.status_code == 400 and "Invalid credentials" in wrong.text
        login = httpx.post(
            f"{url}/auth_metadata_capture?fp_cot=cot_1",
            data={"login": "alice", "password": "secret"},
        )
        assert 'data-route="consent_capture"' in login.text
        assert 'name="auth_metadata_id" value="amd_1"' in login.text
        consent = httpx.post(
            f"{url}/consent_capture?fp_cot=cot_1", data={"auth_metadata_id": "amd_1"}
        )
        assert consent.status_code == 302
        assert consent.headers["location"] == "http://app.example/connect?fp_cot=cot_1"
        refused = httpx.post(
            f"{url}/action?fp_cot=cot_1",
            data={"route": "no_available_tariffs", "action": "DISMISS_DIRECT"},
        )
        assert refused.status_code == 400 and "route_not_current" in refused.text
    assert _ConnectApi.seen == [
        (None, {"connect_token": "cot_1", "route": "start_tariff_integration"}),
        (
            None,
            {
                "route": "auth_metadata_capture",
                "connect_token": "cot_1",
                "data": {"login": "alice", "password": "secret"},
            },
        ),
        (
            None,
            {
                "route": "consent_capture",
                "connect_token": "cot_1",
                "data": {"auth_metadata_id": "amd_1", "consent_given": True},
            },
        ),
        (
            None,
            {
                "route": "no_available_tariffs",
                "type": "submit",
                "connect_token": "cot_1",
                "action": "DISMISS_DIRECT",
            },
        ),
    ]
