"""The per-process key cache: no SQL for a known key, revocations seen within CHECK_EVERY."""

from __future__ import annotations

import signal
import time

import httpx
import pytest
from sqlalchemy import update

from tariffconnect.accounts import keycache
from tariffconnect.accounts import service as accounts
from tariffconnect.accounts.keycache import KeyStates
from tariffconnect.accounts.models import ApiKey
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL, basic, make_tenant
from tests.e2e.server import Server, fresh_database_url
from tests.helpers import assert_error, statements


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def revoke(database: Database, key_id: str) -> None:
    with database.transaction() as session:
        accounts.revoke_key(session, key_id_or_secret=key_id)


def test_a_known_key_costs_no_sql(client, database, tenant):
    headers = tenant.test
    first = client.get("/account", headers=headers)
    assert first.status_code == 200
    with statements(database.engine) as sent:
        again = client.get("/account", headers=headers)
    assert again.json() == first.json()
    assert sent == []


def test_a_revocation_through_this_process_holds_at_once(client, database, tenant):
    headers = tenant.test
    assert client.get("/account", headers=headers).status_code == 200
    revoke(database, tenant.test_key_id)
    response = client.get("/account", headers=headers)
    assert_error(response, 401, "api_key_revoked", context="api.account_retrieve")
    # The other key of the account, cached too, is read again and still works.
    assert client.get("/account", headers=tenant.live).status_code == 200


def revoke_elsewhere(database: Database, key_id: str) -> None:
    """What another process's revocation leaves in the database: the key revoked, the
    generation moved (and nothing said to this process)."""
    with database.transaction() as session:
        session.execute(keycache._BUMP)
        revoked = update(ApiKey).where(ApiKey.id == key_id).values(time_revoked=utcnow())
        session.execute(revoked)


def test_a_change_elsewhere_is_seen_at_the_next_check(client, database):
    tenant = make_tenant(client, database)
    clock = Clock()
    states = KeyStates(check_every=0.5, clock=clock)
    with database.transaction(write=False) as session:
        before = states.state(session, tenant.test_key_id)
    assert before is not None and before.revoked is False
    revoke_elsewhere(database, tenant.test_key_id)
    clock.now += 0.4
    with database.transaction(write=False) as session, statements(database.engine) as sent:
        cached = states.state(session, tenant.test_key_id)
    assert (cached, sent) == (before, [])
    clock.now += 0.1
    with database.transaction(write=False) as session:
        after = states.state(session, tenant.test_key_id)
    assert after is not None and after.revoked is True


def test_a_state_read_under_an_older_generation_is_not_kept(client, database):
    tenant = make_tenant(client, database)
    clock = Clock()
    states = KeyStates(check_every=0.5, clock=clock)
    with database.transaction(write=False) as session:
        read = states.state(session, tenant.test_key_id)
    generation = states._generation
    revoke_elsewhere(database, tenant.test_key_id)
    clock.now += 0.5
    with database.transaction(write=False) as session:
        states.state(session, tenant.live_key_id)  # the check: every state dropped
    # A read that began under the old generation and finishes now is refused.
    states._keep(tenant.test_key_id, read, generation)
    assert list(states._states) == [tenant.live_key_id]


def test_the_cache_is_bounded(client, database):
    tenants = [make_tenant(client, database) for _ in range(3)]
    states = KeyStates(max_keys=2)
    with database.transaction(write=False) as session:
        for tenant in tenants:
            states.state(session, tenant.test_key_id)
        assert len(states) == 2
        assert list(states._states) == [t.test_key_id for t in tenants[1:]]


def test_an_unknown_key_is_none_and_not_kept(database):
    states = KeyStates()
    with database.transaction(write=False) as session:
        assert states.state(session, "key_" + "0" * 24) is None
    assert len(states) == 0


@pytest.fixture
def server(tmp_path):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        srv = Server(tmp_path, url, TARIFFCONNECT_DEMO_ACCOUNT="false")
        srv.start()
        try:
            yield srv, url
        finally:
            srv.stop(signal.SIGKILL)


@pytest.mark.e2e
def test_a_revocation_reaches_another_process_within_a_second(server):
    srv, url = server
    database = Database(url, pool_size=1)
    upgrade(database.engine)  # the server has migrated already: nothing to do
    try:
        with database.transaction() as session:
            account = accounts.create(session, name="Two processes")
            key = accounts.create_key(session, account_id=account.id, live_mode=False)
        login = httpx.get(f"{srv.base}/login", headers=basic(account.id, key.secret))
        bearer = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
        for _ in range(3):  # the server now knows the key
            assert httpx.get(f"{srv.base}/account", headers=bearer).status_code == 200
        revoke(database, key.id)  # in this process, not the server's
        time.sleep(1.0)
        response = httpx.get(f"{srv.base}/account", headers=bearer)
        assert (response.status_code, response.json()["code"]) == (401, "api_key_revoked")
    finally:
        database.dispose()
