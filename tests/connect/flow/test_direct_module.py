"""An external auth module bound to a provider: the flow redirects to it, stores what it
submits, and the first pull reads the tariff from its `/api/tariff_plan` over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tariffconnect.core.timeutil import utcnow
from tariffconnect.integrations import bindings
from tariffconnect.integrations.models import CONNECTED, PENDING
from tariffconnect.providers import catalogue
from tariffconnect.tariffs import library
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.connect.flow.flow import make_session, start, submit
from tests.connect.flow.test_direct_routes import (
    ACCOUNT,
    MODULE_ACTIONS,
    back_url,
    module,
    page,
    redirect,
    refused,
    stored_for,
)
from tests.connect.flow.test_direct_sandbox import connection, session_of, tariffs_of

# The module's converted tariff, in the SDK's schema (rates in major units).
TARIFF = {
    "display_name": "Module Energy Flex",
    "timezone": "Europe/London",
    "provider_tariff_expiry_date": None,
    "data": [
        {
            "months": ["All"],
            "days_and_hours": [
                {
                    "days": ["All"],
                    "hours": [
                        {
                            "valid_from": "00:00:00",
                            "valid_to": "00:00:00",
                            "rate": [{"value": 0.21}],
                        }
                    ],
                }
            ],
        }
    ],
}


class Module(BaseHTTPRequestHandler):
    """`POST /api/tariff_plan`: the tariff for login "alice", trickled a byte per
    TRICKLE_SECONDS for "trickle", a 422 for anyone else."""

    received: list[dict[str, Any]] = []
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
        Module.received.append(body)
        if body["auth_metadata"]["data"]["login"] == "trickle":
            self._trickle(json.dumps(TARIFF).encode())
            return
        good = self.path == "/api/tariff_plan" and body["auth_metadata"]["data"]["login"] == "alice"
        answer = TARIFF if good else {"object": "error", "message": "Invalid credentials"}
        raw = json.dumps(answer).encode()
        self.send_response(200 if good else 422)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _trickle(self, raw: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            for index in range(len(raw)):
                self.wfile.write(raw[index : index + 1])
                time.sleep(TRICKLE_SECONDS)
        except OSError:  # the pull gave up, as it should
            return

    def log_message(self, *_args: Any) -> None:
        pass


TRICKLE_SECONDS = 0.9  # within the module time-out of the trickle test: only a total ends it


def _unlisted_provider() -> str:
    """A GB provider without library tariffs that the other flow tests do not choose."""
    with_library = {t.provider_id for t in library.load()}
    return [p.id for p in catalogue.search(country_code="GB") if p.id not in with_library][-1]


@pytest.fixture
def bound(database, settings) -> Iterator[tuple[str, str]]:
    """A provider bound to a module served on this machine; unbound afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Module)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    provider_id = _unlisted_provider()
    allow = parse_allowed_networks(settings.webhook_allowed_networks)
    with database.transaction() as session:
        bindings.bind(session, provider_id=provider_id, url=url, now=utcnow(), allow=allow)
    Module.received.clear()
    try:
        yield provider_id, url
    finally:
        with database.transaction() as session:
            bindings.clear(session, provider_id=provider_id)
        server.shutdown()
        server.server_close()


def to_module(client: Any, tenant: Any, provider_id: str, url: str) -> str:
    token = make_session(client, tenant.test)
    start(client, token)
    answer = submit(client, token, "provider_select", data={"provider": {"id": provider_id}})
    assert answer == redirect(token, f"{url}/?fp_cot={token}")
    return token


def test_an_external_module_connects(client, tenant, database, bound):
    provider_id, url = bound
    token = to_module(client, tenant, provider_id, url)
    shown = module(client, token, "start_tariff_integration")
    provider = shown["data"]["provider"]
    assert provider["id"] == provider_id
    assert shown == page(
        token, "auth_metadata_capture", MODULE_ACTIONS, {"provider": provider, "account": ACCOUNT}
    )
    # The module authorised the login itself: the flow stores what it sends, as it is.
    creds = {"login": "alice", "password": "secret", "accountNumber": "A-1"}
    answer = module(client, token, "auth_metadata_capture", data=creds)
    amd = answer["data"]["auth_metadata_id"]
    data = {"provider": provider, "account": ACCOUNT, "auth_metadata_id": amd}
    assert answer == page(token, "consent_capture", MODULE_ACTIONS, data)
    assert Module.received == []  # nothing is pulled before consent
    answer = module(
        client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True}
    )
    assert answer == redirect(token, back_url(token))
    found = tariffs_of(client, tenant, session_of(client, tenant, token)["location_id"])
    assert [(t["connection_type"], t["display_name"]) for t in found] == [
        ("DIRECT", "Module Energy Flex")
    ]
    (asked,) = Module.received
    assert asked["auth_metadata"]["data"] == creds
    assert asked["auth_metadata"]["reference_id"].startswith("dcn_")
    summary = start(client, token)
    assert (summary["route"], summary["data"]["connection_type"]) == ("tariff_summary", "DIRECT")
    assert "secret" not in json.dumps([shown, answer, summary])  # never answered back
    location_id = session_of(client, tenant, token)["location_id"]
    assert connection(database, location_id) == (CONNECTED, None)
    assert stored_for(database, token) == [True]


def test_a_module_refusing_the_stored_login_fails_the_connection(client, tenant, database, bound):
    provider_id, url = bound
    token = to_module(client, tenant, provider_id, url)
    module(client, token, "start_tariff_integration")
    amd = module(client, token, "auth_metadata_capture", data={"login": "bob", "password": "x"})[
        "data"
    ]["auth_metadata_id"]
    module(client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True})
    answer = start(client, token)
    assert answer["route"] == "tariff_connection_failed"
    location_id = session_of(client, tenant, token)["location_id"]
    status, reason = connection(database, location_id) or ("", "")
    assert status == PENDING and reason is not None and "422" in reason
    assert "x" not in (reason or "").split()  # the password is never in the reason
    assert tariffs_of(client, tenant, location_id) == []


def test_an_external_modules_credentials_are_checked_too(client, tenant, database, bound):
    provider_id, url = bound
    token = to_module(client, tenant, provider_id, url)
    module(client, token, "start_tariff_integration")
    refused(
        client,
        token,
        "auth_metadata_capture",
        400,
        "auth_metadata_too_large",
        data={"login": "alice", "blob": "y" * 5000},
    )
    assert stored_for(database, token) == []


def test_a_first_pull_out_of_time_still_redirects(client, tenant, database, bound):
    provider_id, url = bound
    token = to_module(client, tenant, provider_id, url)
    module(client, token, "start_tariff_integration")
    creds = {"login": "trickle", "password": "secret"}
    amd = module(client, token, "auth_metadata_capture", data=creds)["data"]["auth_metadata_id"]
    runtime = client.app.state.runtime
    # The transaction's deadline short, the module's total time-out 1 s: the consent's answer
    # still waits for the first pull (out of time) and is the redirect, not a 503.
    quick = runtime.settings.model_copy(
        update={"auth_module_timeout_seconds": 1.0, "request_deadline_seconds": 0.5}
    )
    kept, runtime.settings = runtime.settings, quick
    try:
        answer = module(
            client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True}
        )
    finally:
        runtime.settings = kept
    assert answer == redirect(token, back_url(token))
    location_id = session_of(client, tenant, token)["location_id"]
    assert connection(database, location_id) == (PENDING, "the module did not answer within 1 s")
    assert start(client, token)["route"] == "tariff_connection_failed"
    assert tariffs_of(client, tenant, location_id) == []
