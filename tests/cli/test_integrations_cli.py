"""`tariffconnect integrations refresh` and `integrations status`, as real processes on a
fresh database: one pass now, a location's connections due or not, and a listing that never
shows credentials."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tariffconnect.accounts import service as accounts
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.cli.conftest import tariffconnect
from tests.factories import make_location
from tests.integrations.support import connect

SECRET = "a secret key for the integrations commands' tests"


@pytest.fixture
def fresh(fresh_env):
    url, env = fresh_env
    db = Database(url, pool_size=1)
    upgrade(db.engine)
    with db.transaction() as session:
        account_id = accounts.create(session, name="Ops").id
    try:
        yield db, env | {"TARIFFCONNECT_SECRET_KEY": SECRET}, account_id
    finally:
        db.dispose()


def _open(db, account_id, user, *, at):
    location_id = make_location(db, account_id)
    connection_id = connect(
        db,
        Scope(account_id, False),
        location_id,
        secret=SECRET.encode(),
        provider_id=SANDBOX_PROVIDER_ID,
        login={"login": user, "password": "pass_good"},
        reference={"user": user},
        now=at,
    )
    return location_id, connection_id


def integrations(env, *args):
    return tariffconnect(env, "integrations", *args)


def test_refresh_then_status(fresh):
    db, env, account_id = fresh
    now = utcnow()
    good_location, good = _open(db, account_id, "user_good", at=now - timedelta(minutes=1))
    down_location, down = _open(db, account_id, "user_down", at=now - timedelta(minutes=1))
    later_location, later = _open(db, account_id, "user_good", at=now + timedelta(days=1))

    result = integrations(env, "refresh")
    assert (result.returncode, result.stdout) == (0, "2 pulled (changed 1, failed 1)\n")

    listed = integrations(env, "status", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == {good, down, later}
    assert {key: rows[down][key] for key in rows[down] if key != "next_refresh"} == {
        "id": down,
        "location_id": down_location,
        "element": "COMMODITY IMPORT",
        "provider_id": SANDBOX_PROVIDER_ID,
        "status": "PENDING",
        "last_success": None,
        "last_error": "sandbox: the provider is unreachable",
    }
    assert (rows[good]["location_id"], rows[good]["status"]) == (good_location, "CONNECTED")
    success = datetime.fromisoformat(rows[good]["last_success"])
    assert success >= now.replace(microsecond=0)  # the pass ran after `now`
    assert (rows[later]["location_id"], rows[later]["status"]) == (later_location, "PENDING")
    assert rows[later]["last_success"] is None

    table = integrations(env, "status")
    assert table.returncode == 0, table.stderr
    assert len(table.stdout.splitlines()) == 3
    for text in (listed.stdout, table.stdout):
        assert "pass_good" not in text and "user_down" not in text


def test_refresh_of_a_location_pulls_it_due_or_not(fresh):
    db, env, account_id = fresh
    location_id, connection_id = _open(db, account_id, "user_good", at=utcnow() + timedelta(days=1))
    assert integrations(env, "refresh").stdout == "0 pulled\n"
    result = integrations(env, "refresh", "--location", location_id)
    assert (result.returncode, result.stdout) == (0, "1 pulled (changed 1)\n")
    listed = json.loads(integrations(env, "status", "--location", location_id, "--json").stdout)
    assert [(row["id"], row["status"]) for row in listed] == [(connection_id, "CONNECTED")]


def test_refresh_of_an_unknown_location_fails(fresh):
    _, env, _ = fresh
    result = integrations(env, "refresh", "--location", "loc_000000000000000000000000")
    assert result.returncode == 1
    assert "No location loc_000000000000000000000000." in result.stderr


def test_status_without_connections(fresh):
    _, env, _ = fresh
    assert integrations(env, "status").stdout == "no DIRECT connections\n"
    assert integrations(env, "status", "--json").stdout == "[]\n"
