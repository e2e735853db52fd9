"""`tariffconnect provider auth-module` and `provider list --direct`, as real processes on a
fresh database."""

import json

import pytest
from sqlalchemy import select

from tariffconnect.accounts import service as accounts
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.events.models import Event
from tariffconnect.integrations.models import AuthModule, ConnectionUpgrade
from tariffconnect.providers import catalogue
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.schemas import TariffCreate
from tests.cli.conftest import tariffconnect
from tests.factories import make_location
from tests.tariffs.support import flat

DIRECT_ID = next(p.id for p in catalogue.all_providers() if p.integration_type == "DIRECT")
LIBRARY_ID = next(p.id for p in catalogue.all_providers() if p.integration_type == "LIBRARY")


@pytest.fixture
def fresh(fresh_env):
    url, env = fresh_env
    db = Database(url, pool_size=1)
    upgrade(db.engine)
    try:
        yield db, {**env, "TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    finally:
        db.dispose()


def provider(env, *args):
    return tariffconnect(env, "provider", *args)


def listed(env):
    result = provider(env, "list", "--direct", "--json")
    assert result.returncode == 0, result.stderr
    return {row["provider_id"]: row for row in json.loads(result.stdout)}


def test_bind_list_and_clear(fresh):
    db, env = fresh
    bound = provider(env, "auth-module", DIRECT_ID, "https://module.example.com/")
    assert (bound.returncode, bound.stdout) == (
        0,
        f"{DIRECT_ID}: auth module https://module.example.com\n",
    )
    with db.transaction(write=False) as session:
        row = session.get(AuthModule, DIRECT_ID)
        assert row is not None and row.url == "https://module.example.com"
    rows = listed(env)
    assert rows[DIRECT_ID]["module_url"] == "https://module.example.com"
    assert rows[DIRECT_ID]["module_bound_at"] is not None
    assert rows[SANDBOX_PROVIDER_ID] == {
        "provider_id": SANDBOX_PROVIDER_ID,
        "display_name": "Sandbox Energy",
        "country_code": "ZZ",
        "integration_type": "DIRECT",
        "module_url": None,
        "module_bound_at": None,
        "adapter": "test mode",
    }
    assert LIBRARY_ID not in rows
    assert {row["integration_type"] for row in rows.values()} == {"DIRECT"}
    local = provider(env, "auth-module", DIRECT_ID, "http://127.0.0.1:8123")
    assert local.returncode == 0, local.stderr
    assert listed(env)[DIRECT_ID]["module_url"] == "http://127.0.0.1:8123"
    cleared = provider(env, "auth-module", DIRECT_ID, "--clear")
    assert (cleared.returncode, cleared.stdout) == (0, f"{DIRECT_ID}: auth module removed\n")
    assert listed(env)[DIRECT_ID]["module_url"] is None
    again = provider(env, "auth-module", DIRECT_ID, "--clear")
    assert (again.returncode, again.stderr) == (1, f"error: {DIRECT_ID} has no auth module\n")


def test_a_bound_library_provider_is_listed_as_direct_route(fresh):
    _, env = fresh
    assert provider(env, "auth-module", LIBRARY_ID, "https://m.example.com").returncode == 0
    assert listed(env)[LIBRARY_ID]["module_url"] == "https://m.example.com"


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        ((DIRECT_ID, "http://module.example.com"), 1, "error: url must use https.\n"),
        (
            (DIRECT_ID, "https://10.0.0.1"),
            1,
            "error: url must not point at a private, loopback or link-local address.\n",
        ),
        (
            ("prv_000000000000000000000000", "https://m.example.com"),
            1,
            "error: No provider prv_000000000000000000000000.\n",
        ),
    ],
)
def test_bad_bindings_fail_and_store_nothing(fresh, args, code, error):
    db, env = fresh
    result = provider(env, "auth-module", *args)
    assert (result.returncode, result.stderr) == (code, error)
    with db.transaction(write=False) as session:
        assert session.query(AuthModule).count() == 0


def test_url_or_clear_is_required(fresh):
    _, env = fresh
    assert provider(env, "auth-module", DIRECT_ID).returncode == 2
    assert (
        provider(env, "auth-module", DIRECT_ID, "https://m.example.com", "--clear").returncode == 2
    )


def test_the_table_names_every_route(fresh):
    _, env = fresh
    provider(env, "auth-module", DIRECT_ID, "https://module.example.com")
    result = provider(env, "list", "--direct")
    assert result.returncode == 0, result.stderr
    assert "Sandbox Energy" in result.stdout and "test mode" in result.stdout
    assert "https://module.example.com" in result.stdout
    everything = provider(env, "list", "--json")
    assert LIBRARY_ID in {row["provider_id"] for row in json.loads(everything.stdout)}


def test_binding_announces_the_upgrade_once(fresh):
    db, env = fresh
    with db.transaction() as session:
        account_id = accounts.create(session, name="Ops").id
    location_id = make_location(db, account_id)
    data = TariffCreate.model_validate(
        {"location_id": location_id, "provider_id": DIRECT_ID, "schedule": flat(0.3)}
    )
    with db.transaction() as session:
        scope = Scope(account_id=account_id, live_mode=False)
        manual = tariffs.create(session, scope=scope, data=data, connection_type="MANUAL").id
    first = provider(env, "auth-module", DIRECT_ID, "https://module.example.com")
    assert (first.returncode, first.stdout) == (
        0,
        f"{DIRECT_ID}: auth module https://module.example.com\n"
        f"{DIRECT_ID}: 1 location(s) told of the DIRECT upgrade\n",
    )
    again = provider(env, "auth-module", DIRECT_ID, "https://other-module.example.com")
    assert (again.returncode, again.stdout) == (
        0,
        f"{DIRECT_ID}: auth module https://other-module.example.com\n",
    )
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Event.type, Event.object_id, Event.live_mode)
            .where(Event.account_id == account_id)
            .order_by(Event.id)
        ).all()
        told = session.execute(
            select(ConnectionUpgrade.location_id, ConnectionUpgrade.provider_id)
        ).all()
    upgrades = [row for row in rows if row[0] == "tariff.connection.upgrade"]
    assert upgrades == [("tariff.connection.upgrade", manual, False)]
    assert told == [(location_id, DIRECT_ID)]
