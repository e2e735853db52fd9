"""Every Flatpeak release's integrator script, run against a real `tariffconnect serve` with
nothing changed but the base URLs: zero's (a token without a location, `session_restore`,
`market_surcharge_capture`, `summary_tou_confirm` SAVE, the exchange, GET /tariffs/rates),
anode's (POST /connect/token ... POST /prices/{id}) and busbar's (the seed: POST /connect).

The operator's side is done the operator's way: accounts with `tariffconnect account create`,
the zero account's default release with `tariffconnect account set-version`, and market
prices stored as the feeds would store them.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tariffconnect.db import Database
from tariffconnect.market import sources as market
from tariffconnect.market import store
from tests.conftest import TEST_DATABASE_URL
from tests.connect.flow.flow import plain_provider
from tests.e2e.server import Server, fresh_database_url

pytestmark = pytest.mark.e2e

CALLBACK = "https://app.example.com/flatpeak/done"
CONNECT_BACK = "https://app.example.com/flatpeak/connect"
ADDRESS = {
    "address_line1": "10 Downing Street",
    "address_line2": "",
    "city": "London",
    "state": "",
    "post_code": "SW1A 2AA",
    "country_code": "GB",
}
# A published market day: yesterday, UTC, in half-hours of 0.10 and 0.20 GBP/kWh.
DAY = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(), UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("release-scripts")
    with fresh_database_url(TEST_DATABASE_URL, data_dir) as url:
        server = Server(data_dir, url)
        try:
            server.start()
            _publish_market_day(url)
            yield server
        finally:
            server.stop(signal.SIGKILL)


def _publish_market_day(url: str) -> None:
    source = market.source_for("GB", "London")
    assert source is not None
    rows = [
        store.Row(DAY + timedelta(minutes=30 * n), 30, Decimal("0.10" if n % 2 == 0 else "0.20"))
        for n in range(48)
    ]
    db = Database(url, pool_size=1)
    try:
        with db.transaction() as session:
            store.upsert(session, source_id=source.id, rows=rows, feed="OCTOPUS", now=DAY)
    finally:
        db.dispose()


def operator(server: Server, *args: str) -> str:
    """`tariffconnect ARGS` against the server's database, as its operator runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "tariffconnect", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def new_account(server: Server, version: str | None = None) -> tuple[str, str]:
    created = json.loads(operator(server, "account", "create", "--json"))
    if version is not None:
        operator(server, "account", "set-version", created["account_id"], version)
    return created["account_id"], created["test_api_key"]


class Integrator:
    """What an integrator's backend and app hold: the two base URLs and their credentials."""

    def __init__(self, api: str, connect: str, account_id: str, api_key: str) -> None:
        self.api, self.connect = api, connect
        login = httpx.get(f"{api}/login", auth=(account_id, api_key))
        assert login.status_code == 200, login.text
        self.login_release = login.headers["Flatpeak-Version"]
        self.headers = {"Authorization": f"Bearer {login.json()['bearer_token']}"}

    def rest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return httpx.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kwargs)

    def page(self, body: dict[str, Any]) -> dict[str, Any]:
        """One POST to Connect, as a browser sends it (JSON text, no Content-Type)."""
        response = httpx.post(self.connect, content=json.dumps(body), timeout=30)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


def test_zero_integrator_script(served):
    account_id, key = new_account(served, "2024-08-24.zero")
    app = Integrator(served.base, f"{served.base}/connect/flow", account_id, key)
    assert app.login_release == "2024-08-24.zero"

    created = app.rest(
        "POST",
        "/connect/tariff/token",
        json={
            "direction": "IMPORT",
            "type": "COMMODITY",
            "connect_web_uri": CONNECT_BACK,
            "callback_uri": CALLBACK,
            "customer_reference_id": "zero-user-1",
            "location_reference_id": "zero-home-1",
        },
    )
    assert created.status_code == 200, created.text
    assert created.headers["Flatpeak-Version"] == "2024-08-24.zero"
    token = created.json()["connect_token"]

    page = app.page({"connect_token": token, "route": "session_restore"})
    assert (page["route"], page["direction"]) == ("postal_address_capture", "IMPORT")
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"postal_address": ADDRESS}}
    )
    assert page["route"] == "provider_select"
    provider = plain_provider()
    assert provider in [p["id"] for p in page["data"]["providers"]]
    page = app.page(
        {"connect_token": token, "route": "provider_select", "data": {"provider": {"id": provider}}}
    )
    assert page["route"] == "tariff_structure_select"
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"options": ["MARKET"]}}
    )
    assert page["route"] == "market_surcharge_capture"
    # Zero's surcharge percentage is a percent: 18.50 is 18.5 %.
    surcharge = {"surcharge": {"fixed": 0.1, "percentage": 18.50}}
    page = app.page({"connect_token": token, "route": page["route"], "data": surcharge})
    assert page["route"] == "tariff_name_capture"
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"tariff": {"name": "Agile"}}}
    )
    assert page["route"] == "contract_term_capture"
    term = {"contract_start_date": None, "contract_end_date": "0001-01-01T00:00:00Z"}
    page = app.page({"connect_token": token, "route": page["route"], "data": term})
    assert page["route"] == "summary_tou_confirm"
    assert page["actions"][0] == "SAVE"
    assert page["data"]["tariff"]["structure_type"] == "MARKET"
    done = app.page({"connect_token": token, "route": "summary_tou_confirm", "action": "SAVE"})
    assert done["route"] == "session_complete"
    assert done["data"]["callback_uri"] == f"{CALLBACK}?fp_cot={token}"
    assert done["data"]["callback_url"] == f"{CALLBACK}?fp_cot={token}"

    exchanged = app.rest("GET", "/connect/tariff/token", params={"connect_token": token})
    assert exchanged.status_code == 200, exchanged.text
    swapped = exchanged.json()
    assert swapped["id"] == token
    assert swapped["location_reference_id"] == "zero-home-1"
    assert swapped["customer_reference_id"] == "zero-user-1"
    location_id = swapped["location_id"]
    assert location_id.startswith("loc_")

    start, end = DAY + timedelta(hours=1), DAY + timedelta(hours=2)
    rates = app.rest(
        "GET",
        f"/tariffs/rates/{location_id}",
        params={
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "direction": "IMPORT",
            "include_tariff": "true",
        },
    )
    assert rates.status_code == 200, rates.text
    body = rates.json()
    assert (body["object"], body["direction"], body["currency_code"]) == (
        "tariff_rate",
        "IMPORT",
        "GBP",
    )
    # (market + 0.10) x 1.185, per half-hour.
    assert [(d["valid_from"], d["tariff"]["rate"]) for d in body["data"]] == [
        (start.strftime("%Y-%m-%dT%H:%M:%SZ"), 0.237),
        ((start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), 0.3555),
    ]
    location = app.rest("GET", f"/locations/{location_id}").json()
    assert location["reference_id"] == "zero-home-1"
    assert location["tariff_elements"] and all(
        isinstance(e, str) for e in location["tariff_elements"]
    )


def test_anode_integrator_script(served):
    account_id, key = new_account(served)
    app = Integrator(served.base, f"{served.base}/connect/flow", account_id, key)
    anode = {"Flatpeak-Version": "2025-09-14.anode"}
    created = app.rest(
        "POST",
        "/connect/token",
        headers=anode,
        json={
            "tariff_direction": "IMPORT",
            "tariff_type": "COMMODITY",
            "connect_url": CONNECT_BACK,
            "callback_url": CALLBACK,
            "postal_address": ADDRESS,
        },
    )
    assert created.status_code == 200, created.text
    assert created.headers["Flatpeak-Version"] == "2025-09-14.anode"
    token = created.json()["connect_token"]

    page = app.page({"connect_token": token, "route": "session_start", "type": "submit"})
    # The address came with the token: Connect goes straight to the provider.
    assert (page["route"], page["type"]) == ("provider_select", "COMMODITY")
    assert page["actions"][-2:] == ["BACK", "CLOSE"]
    provider = plain_provider()
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"provider": {"id": provider}}}
    )
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"options": ["TIME_OF_DAY"]}}
    )
    assert page["route"] == "rate_tod_capture"
    hours = [
        {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": 0.3},
        {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": 0.1},
    ]
    page = app.page({"connect_token": token, "route": page["route"], "data": {"hours": hours}})
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"tariff": {"name": "E7"}}}
    )
    assert page["route"] == "contract_term_capture"
    page = app.page(
        {
            "connect_token": token,
            "route": page["route"],
            "data": {"contract_term_type": "UNTIL_TERMINATED"},
        }
    )
    assert page["route"] == "tariff_summary"
    assert page["data"]["tariff"]["structure_type"] == "TIME_OF_DAY"
    done = app.page({"connect_token": token, "route": "tariff_summary", "action": "CLOSE"})
    assert done["data"]["redirect_url"] == f"{CALLBACK}?fp_cot={token}"

    exchanged = app.rest("GET", "/connect/token", params={"connect_token": token}, headers=anode)
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["tariff_available"] is True
    location_id = exchanged.json()["location_id"]

    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(), UTC)
    prices = app.rest(
        "POST",
        f"/prices/{location_id}",
        headers=anode,
        json={
            "tariff_direction": "IMPORT",
            "start_time": tomorrow.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": (tomorrow + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    assert prices.status_code == 200, prices.text
    assert prices.headers["Flatpeak-Version"] == "2025-09-14.anode"
    body = prices.json()
    assert (body["object"], body["tariff_direction"]) == ("price", "IMPORT")
    assert sorted({d["price"]["value"] for d in body["data"]}) == [0.1, 0.3]


def test_busbar_integrator_script(served):
    account_id, key = new_account(served)
    app = Integrator(served.base, f"{served.base}/connect/flow", account_id, key)
    assert app.login_release == "2026-01-01.busbar"
    location = app.rest("POST", "/locations", json={"postal_address": ADDRESS | {"state": None}})
    assert location.status_code == 201, location.text
    location_id = location.json()["id"]
    session = app.rest(
        "POST",
        "/connect",
        json={"location_id": location_id, "connect_url": CONNECT_BACK, "callback_url": CALLBACK},
    )
    assert session.status_code == 200, session.text
    assert session.headers["Flatpeak-Version"] == "2026-01-01.busbar"
    token = session.json()["id"]

    page = app.page({"connect_token": token, "route": "session_start", "type": "submit"})
    assert page["route"] == "provider_select"
    page = app.page(
        {
            "connect_token": token,
            "route": page["route"],
            "type": "submit",
            "data": {"provider": {"id": plain_provider()}},
        }
    )
    page = app.page({"connect_token": token, "route": page["route"], "action": "FIXED"})
    page = app.page({"connect_token": token, "route": page["route"], "data": {"cost": 0.245}})
    page = app.page(
        {"connect_token": token, "route": page["route"], "data": {"tariff": {"name": "Flat"}}}
    )
    page = app.page({"connect_token": token, "route": page["route"]})
    assert page["route"] == "tariff_summary"
    done = app.page({"connect_token": token, "route": "tariff_summary", "action": "CLOSE"})
    assert done["route"] == "session_redirect"

    retrieved = app.rest("GET", f"/connect/{token}").json()
    assert (retrieved["status"], retrieved["data_available"]) == ("COMPLETED", True)
    assert isinstance(
        app.rest("GET", f"/locations/{location_id}").json()["tariff_elements"][0], dict
    )
    prices = app.rest(
        "POST",
        "/prices",
        json={
            "location_id": location_id,
            "end_time": (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    assert prices.status_code == 200, prices.text
    assert {d["price"]["value"] for d in prices.json()["data"]} == {0.245}
