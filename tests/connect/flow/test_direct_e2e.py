"""A DIRECT connection between real processes: `tariffconnect serve`, and the external auth
module (tests/integrations/module_server.py) bound by the operator's command. The customer's
browser is httpx: the main front end's JSON, then the module's forms and its redirect back."""

from __future__ import annotations

import html
import json
import re
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.connect.flow.flow import LONDON, plain_provider
from tests.e2e.server import Server, fresh_database_url
from tests.e2e.test_release_scripts import Integrator, new_account, operator
from tests.integrations.support import module_server

pytestmark = pytest.mark.e2e

CONNECT_URL = "https://app.example.com/connect"
CALLBACK = "https://app.example.com/done"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, str, str]]:
    """The service, a module speaking to it, and a provider bound to that module."""
    data_dir = tmp_path_factory.mktemp("direct-e2e")
    with fresh_database_url(TEST_DATABASE_URL, data_dir) as url:
        server = Server(data_dir, url)
        try:
            server.start()
            with module_server(connect_api=f"{server.base}/connect/flow") as module_url:
                provider_id = plain_provider()
                operator(server, "provider", "auth-module", provider_id, module_url)
                yield server, module_url, provider_id
        finally:
            server.stop(signal.SIGKILL)


def shown(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The module page's route and the data it was rendered with."""
    assert response.status_code == 200, response.text
    route = re.search(r'data-route="([^"]+)"', response.text)
    data = re.search(r'<pre id="data">(.*?)</pre>', response.text, re.S)
    assert route is not None and data is not None, response.text
    return route.group(1), json.loads(html.unescape(data.group(1)))


def test_a_customer_connects_through_an_external_module(served):
    server, module_url, provider_id = served
    account_id, key = new_account(server)
    app = Integrator(server.base, f"{server.base}/connect/flow", account_id, key)
    location = app.rest("POST", "/locations", json={"postal_address": LONDON}).json()
    body = {"location_id": location["id"], "connect_url": CONNECT_URL, "callback_url": CALLBACK}
    token = app.rest("POST", "/connect", json=body).json()["id"]

    assert app.page({"route": "session_start", "connect_token": token})["route"] == (
        "provider_select"
    )
    chosen = app.page(
        {
            "route": "provider_select",
            "connect_token": token,
            "type": "submit",
            "data": {"provider": {"id": provider_id}},
        }
    )
    entry = f"{module_url}/?fp_cot={token}"
    assert chosen["data"] == {"redirect_url": entry, "redirect_uri": entry}

    route, data = shown(httpx.get(entry, timeout=30))
    assert route == "auth_metadata_capture"
    assert data["provider"]["id"] == provider_id
    form = {"login": "alice", "password": "secret"}
    route, data = shown(
        httpx.post(f"{module_url}/auth_metadata_capture?fp_cot={token}", data=form, timeout=30)
    )
    assert route == "consent_capture"
    consent = {"auth_metadata_id": data["auth_metadata_id"]}
    back = httpx.post(f"{module_url}/consent_capture?fp_cot={token}", data=consent, timeout=60)
    assert (back.status_code, back.headers["Location"]) == (302, f"{CONNECT_URL}?fp_cot={token}")

    summary = app.page({"route": "session_start", "connect_token": token})
    assert (summary["route"], summary["data"]["connection_type"]) == ("tariff_summary", "DIRECT")
    tariffs = app.rest("GET", "/tariffs", params={"location_id": location["id"]}).json()["data"]
    assert [(t["connection_type"], t["is_linked"]) for t in tariffs] == [("DIRECT", True)]
    assert "secret" not in json.dumps([chosen, summary, tariffs])
