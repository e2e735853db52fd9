"""`tariffconnect openadr client create|list|revoke`, run as real processes against the test
database: the secret shown once and stored only as a hash, revocation effective at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from tariffconnect.accounts.service import hash_key
from tariffconnect.openadr.models import OpenAdrClient
from tests.openadr.support import TOKEN_PATH, assert_problem, make_location


@pytest.fixture(scope="module")
def env(settings):
    return os.environ | {
        "TARIFFCONNECT_DATA_DIR": str(settings.data_dir),
        "TARIFFCONNECT_DATABASE_URL": settings.database_url_resolved,
    }


def run(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tariffconnect", "openadr", "client", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_create_list_and_revoke(env, client, tenant, database):
    location = make_location(client, tenant)
    created = run(env, "create", "--location", location["id"], "--json")
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert set(issued) == {"client_id", "client_secret"}
    assert issued["client_id"].startswith("oac_")
    assert issued["client_secret"].startswith("oacs_")
    with database.transaction(write=False) as session:
        row = session.scalars(
            select(OpenAdrClient).where(OpenAdrClient.id == issued["client_id"])
        ).one()
    # Stored in the location's account and mode, the secret only as its hash.
    assert (row.account_id, row.live_mode, row.location_id) == (
        tenant.account_id,
        False,
        location["id"],
    )
    assert row.secret_hash == hash_key(issued["client_secret"])
    assert issued["client_secret"] not in row.secret_hash

    form = {"grant_type": "client_credentials", **issued}
    assert client.post(TOKEN_PATH, data=form).status_code == 200
    listed = run(env, "list", "--location", location["id"])
    assert listed.stdout.splitlines() == [f"{issued['client_id']}  active   {location['id']}"]
    assert issued["client_secret"] not in listed.stdout

    revoked = run(env, "revoke", issued["client_id"])
    assert (revoked.returncode, revoked.stdout) == (0, f"revoked {issued['client_id']}\n")
    assert_problem(client.post(TOKEN_PATH, data=form), 401, "invalid_client")
    listed = run(env, "list", "--location", location["id"])
    assert listed.stdout.splitlines() == [f"{issued['client_id']}  revoked  {location['id']}"]


def test_create_prints_the_credentials_without_json(env, client, tenant):
    location = make_location(client, tenant, live=True)
    created = run(env, "create", "--location", location["id"])
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["client_id", "client_secret"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("create", "--location", "loc_" + "0" * 24),
            "error: No location loc_000000000000000000000000.\n",
        ),
        (("create", "--location", "nope"), "error: No location nope.\n"),
        (("revoke", "oac_" + "0" * 24), "error: No OpenADR client oac_000000000000000000000000.\n"),
    ],
)
def test_unknown_locations_and_clients_exit_1(env, args, message):
    result = run(env, *args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message)
