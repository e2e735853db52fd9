"""`Flatpeak-Version`: the account's default release, the header that overrides it, the
release named on every answer, and the field names each release uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tariffconnect.accounts import service as accounts
from tariffconnect.core import versions
from tests.conftest import basic
from tests.connect.flow.flow import LONDON, make_location
from tests.helpers import assert_error
from tests.tariffs.support import flat, tariff_body

ZERO, ANODE, BUSBAR = versions.ZERO, versions.ANODE, versions.BUSBAR


def release(value: str) -> dict[str, str]:
    return {"Flatpeak-Version": value}


def test_the_releases_and_the_busbar_name():
    assert versions.RELEASES == ("2024-08-24.zero", "2025-09-14.anode", "2026-01-01.busbar")
    assert versions.DEFAULT == BUSBAR


def test_a_new_account_answers_in_busbar(client, database, tenant):
    with database.transaction(write=False) as session:
        assert accounts.default_version(session, account_id=tenant.account_id) == BUSBAR
    response = client.get("/account", headers=tenant.test)
    assert response.status_code == 200
    assert response.headers["flatpeak-version"] == BUSBAR


@pytest.mark.parametrize("value", [ZERO, ANODE, BUSBAR])
def test_the_header_picks_the_release_that_answers(client, tenant, value):
    response = client.get("/account", headers=tenant.test | release(value))
    assert response.status_code == 200
    assert response.headers["flatpeak-version"] == value


@pytest.mark.parametrize("value", ["2024-08-24", "zero", "2025-09-14.ANODE", "", "latest"])
def test_an_unknown_release_is_400_version_invalid(client, tenant, value):
    response = client.get("/account", headers=tenant.test | release(value))
    body = assert_error(response, 400, "version_invalid", context="api.request")
    assert body["message"] == (
        f"Flatpeak-Version {value!r} is not a known release; use one of "
        "2024-08-24.zero, 2025-09-14.anode, 2026-01-01.busbar."
    )
    assert response.headers["flatpeak-version"] == BUSBAR


def test_errors_and_logins_name_their_release_too(client, tenant):
    anonymous = client.get("/account", headers=release(ANODE))
    assert_error(anonymous, 401, "authentication_required")
    assert anonymous.headers["flatpeak-version"] == ANODE
    assert client.get("/no/such/path").headers["flatpeak-version"] == BUSBAR
    assert client.delete("/login", headers=release(ZERO)).headers["flatpeak-version"] == ZERO
    login = client.get("/login", headers=basic(tenant.account_id, tenant.test_key))
    assert login.headers["flatpeak-version"] == BUSBAR


def test_the_account_default_applies_to_tokens_minted_after_it(client, database, tenant):
    before = tenant.test
    with database.transaction() as session:
        accounts.set_version(session, account_id=tenant.account_id, version=ZERO)
    after = tenant.test
    assert client.get("/account", headers=before).headers["flatpeak-version"] == BUSBAR
    assert client.get("/account", headers=after).headers["flatpeak-version"] == ZERO
    overridden = client.get("/account", headers=after | release(ANODE))
    assert overridden.headers["flatpeak-version"] == ANODE
    login = client.get("/login", headers=basic(tenant.account_id, tenant.test_key))
    assert login.headers["flatpeak-version"] == ZERO


def test_set_version_refuses_an_unknown_release_or_account(database, tenant):
    with database.transaction() as session:
        with pytest.raises(Exception) as unknown:
            accounts.set_version(session, account_id=tenant.account_id, version="1.0")
        with pytest.raises(Exception) as missing:
            accounts.set_version(session, account_id="acc_" + "0" * 24, version=ZERO)
    assert getattr(unknown.value, "code", None) == "version_invalid"
    assert getattr(missing.value, "code", None) == "account_not_found"


def test_the_cli_sets_an_accounts_default(settings, client):
    env = os.environ | {
        "TARIFFCONNECT_DATA_DIR": str(settings.data_dir),
        "TARIFFCONNECT_DATABASE_URL": settings.database_url_resolved,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tariffconnect", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    created = json.loads(run("account", "create", "--json").stdout)
    account_id = created["account_id"]
    done = run("account", "set-version", account_id, ANODE)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{account_id} now answers in {ANODE} by default\n"
    bad = run("account", "set-version", account_id, "2023-01-01.legacy")
    assert bad.returncode == 1
    assert "not a known release" in bad.stderr
    login = client.get("/login", headers=basic(account_id, created["test_api_key"]))
    bearer = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
    assert client.get("/account", headers=bearer).headers["flatpeak-version"] == ANODE


def test_a_release_without_the_path_is_404_naming_it(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    created = client.post("/tariffs", json=tariff_body(location_id, flat(0.2)), headers=tenant.test)
    tariff_id = created.json()["id"]
    response = client.get(f"/tariffs/{tariff_id}", headers=tenant.test | release(ZERO))
    body = assert_error(response, 404, "route_not_found", context="api.tariff_retrieve")
    assert body["message"] == (
        "GET /tariffs/{tariff_id} is not part of release 2024-08-24.zero; it is in "
        "2025-09-14.anode, 2026-01-01.busbar."
    )
    assert response.headers["flatpeak-version"] == ZERO
    session = client.post(
        "/connect", json={"location_id": location_id}, headers=tenant.test | release(ANODE)
    )
    assert_error(session, 404, "route_not_found", context="api.connect_session_create")


def test_without_a_header_a_path_answers_in_its_own_release(client, database, tenant):
    with database.transaction() as session:
        accounts.set_version(session, account_id=tenant.account_id, version=ZERO)
    location_id = make_location(client, tenant.test, LONDON)
    created = client.post("/tariffs", json=tariff_body(location_id, flat(0.2)), headers=tenant.test)
    assert created.status_code == 201, created.text
    assert created.headers["flatpeak-version"] == BUSBAR
    assert created.json()["tariff_direction"] == "IMPORT"


def test_each_release_names_the_fields_its_own_way(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    created = client.post("/tariffs", json=tariff_body(location_id, flat(0.2)), headers=tenant.test)
    tariff_id = created.json()["id"]
    path = f"/locations/{location_id}"
    busbar = client.get(path, headers=tenant.test | release(BUSBAR)).json()
    anode = client.get(path, headers=tenant.test | release(ANODE)).json()
    zero = client.get(path, headers=tenant.test | release(ZERO)).json()
    assert [e["tariff_id"] for e in busbar["tariff_elements"]] == [tariff_id]
    assert anode["tariff_elements"] == zero["tariff_elements"] == [tariff_id]
    assert {k: v for k, v in anode.items() if k != "tariff_elements"} == {
        k: v for k, v in busbar.items() if k != "tariff_elements"
    }
    events = client.get(
        "/events", params={"object_id": tariff_id}, headers=tenant.test | release(ZERO)
    ).json()["data"]
    [event] = [e for e in events if e["type"] == "tariff.create"]
    assert (event["data"]["direction"], event["data"]["type"]) == ("IMPORT", "COMMODITY")
    assert "tariff_direction" not in event["data"]
    assert "tariff_type" not in event["data"]


def test_connect_urls_are_accepted_in_either_spelling(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    body = {
        "location_id": location_id,
        "connect_web_uri": "https://app.example/connect",
        "callback_uri": "https://app.example/done",
    }
    created = client.post("/connect", json=body, headers=tenant.test)
    assert created.status_code == 200, created.text
    out = created.json()
    assert (out["connect_url"], out["callback_url"]) == (
        "https://app.example/connect",
        "https://app.example/done",
    )


def test_the_guards_own_answers_name_the_release_asked_for(client, tenant):
    headers = tenant.test | release(ANODE) | {"Content-Type": "application/json"}
    response = client.post("/locations", content=b"x" * 2_000_000, headers=headers)
    assert_error(response, 413, "request_too_large")
    assert response.headers["flatpeak-version"] == ANODE


def test_webhooks_keep_their_own_release(client, app, database, tenant):
    from tests.webhooks.receiver import Receiver
    from tests.webhooks.test_delivery import register, run_worker

    with database.transaction() as session:
        accounts.set_version(session, account_id=tenant.account_id, version=ZERO)
    receiver = Receiver().start()
    try:
        register(client, tenant, receiver.url, events=("tariff.create",))
        location_id = make_location(client, tenant.test, LONDON)
        body = tariff_body(location_id, flat(0.2))
        created = client.post("/tariffs", json=body, headers=tenant.test | release(ANODE))
        assert created.status_code == 201, created.text
        assert run_worker(app) is True
        [got] = receiver.received
    finally:
        receiver.stop()
    assert got.headers["flatpeak-version"] == ANODE
    event = json.loads(got.body)
    assert (event["data"]["tariff_direction"], event["data"]["tariff_type"]) == (
        "IMPORT",
        "COMMODITY",
    )
