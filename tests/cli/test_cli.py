"""The `tariffconnect` command, run as a real process against the test database."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

from tariffconnect.accounts import keycache
from tests.conftest import basic


@pytest.fixture(scope="module")
def cli_env(settings):
    env = os.environ.copy()
    env["TARIFFCONNECT_DATA_DIR"] = str(settings.data_dir)
    env["TARIFFCONNECT_DATABASE_URL"] = settings.database_url_resolved
    return env


def run(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "tariffconnect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_account_create_json_prints_exactly_the_three_fields(cli_env, client):
    result = run(cli_env, "account", "create", "--name", "Acme", "--json")
    created = json.loads(result.stdout)
    assert set(created) == {"account_id", "test_api_key", "live_api_key"}
    assert re.fullmatch(r"acc_[0-9a-f]{24}", created["account_id"])
    assert re.fullmatch(r"sk_test_[0-9a-f]{32}", created["test_api_key"])
    assert re.fullmatch(r"sk_live_[0-9a-f]{32}", created["live_api_key"])
    test = client.get("/login", headers=basic(created["account_id"], created["test_api_key"]))
    live = client.get("/login", headers=basic(created["account_id"], created["live_api_key"]))
    assert (test.json()["live_mode"], live.json()["live_mode"]) == (False, True)


def test_keys_are_stored_only_as_hashes(cli_env, database):
    from sqlalchemy import text

    created = json.loads(run(cli_env, "account", "create", "--json").stdout)
    with database.transaction(write=False) as session:
        stored = session.execute(
            text("SELECT key_hash, key_hint FROM api_keys WHERE account_id = :a"),
            {"a": created["account_id"]},
        ).all()
    assert len(stored) == 2
    for key_hash, hint in stored:
        assert created["test_api_key"] not in (key_hash, hint)
        assert created["live_api_key"] not in (key_hash, hint)
        assert re.fullmatch(r"[0-9a-f]{64}", key_hash)


def test_key_create_and_revoke(cli_env, client):
    created = json.loads(run(cli_env, "account", "create", "--json").stdout)
    account_id = created["account_id"]
    new = json.loads(
        run(cli_env, "key", "create", "--account", account_id, "--mode", "live", "--json").stdout
    )
    assert new["live_mode"] is True
    login = client.get("/login", headers=basic(account_id, new["api_key"]))
    assert login.status_code == 200
    bearer = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
    assert client.get("/account", headers=bearer).status_code == 200

    revoked = run(cli_env, "key", "revoke", new["id"])
    assert new["id"] in revoked.stdout
    assert new["api_key"] not in revoked.stdout
    # Another process revoked it: this one sees that at its next check of the key cache.
    time.sleep(keycache.CHECK_EVERY)
    assert client.get("/account", headers=bearer).json()["code"] == "api_key_revoked"
    assert client.get("/login", headers=basic(account_id, new["api_key"])).status_code == 401
    listed = run(cli_env, "key", "list", "--account", account_id).stdout
    assert re.search(rf"{new['id']}\s+live\s+revoked", listed)


def test_revoke_by_the_secret_itself(cli_env, client):
    created = json.loads(run(cli_env, "account", "create", "--json").stdout)
    run(cli_env, "key", "revoke", created["test_api_key"])
    assert (
        client.get(
            "/login", headers=basic(created["account_id"], created["test_api_key"])
        ).status_code
        == 401
    )
    assert (
        client.get(
            "/login", headers=basic(created["account_id"], created["live_api_key"])
        ).status_code
        == 200
    )


def test_cli_errors_exit_non_zero(cli_env):
    result = run(cli_env, "key", "revoke", "key_" + "0" * 24, check=False)
    assert result.returncode == 1
    assert "No such API key" in result.stderr
    result = run(cli_env, "key", "create", "--account", "acc_" + "0" * 24, check=False)
    assert result.returncode == 1
    result = run(cli_env, "key", "create", "--account", "acc_x", "--mode", "prod", check=False)
    assert result.returncode == 2
