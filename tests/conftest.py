"""Shared fixtures: one database per test session (SQLite, or PostgreSQL when
TARIFFCONNECT_TEST_DATABASE_URL is set), migrated with the real migrations, and an ASGI client.

Tests stay independent without truncating tables: every object is scoped to an account, and
each test makes its own accounts through the `tenant` fixture.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from starlette.testclient import TestClient

from tariffconnect.accounts import service as accounts
from tariffconnect.app import create_app
from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist (Makefile `test`), each worker process runs its test files on a
    PostgreSQL database of its own, `<name>_<worker>`, made empty here: tests that count rows
    across accounts (a whole delivery pass, a fan-out) then see only their own worker's. The
    variable is rewritten, so the servers and workers the tests start inherit it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    own = base.set(database=name)
    _drop(own)
    _admin(own, f'CREATE DATABASE "{name}"')
    rendered = own.render_as_string(hide_password=False)
    os.environ["TARIFFCONNECT_TEST_DATABASE_URL"] = rendered
    return rendered


def _admin(url: URL, statement: str) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def _drop(url: URL) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


TEST_DATABASE_URL = _database_of_this_worker(os.environ.get("TARIFFCONNECT_TEST_DATABASE_URL", ""))
# No test reaches a public price feed: each points at a closed local port (every server and
# worker process a test starts inherits this), unless a test points it at its own fixture.
CLOSED_PORT = "http://127.0.0.1:9"
for _feed in ("ENTSOE", "ENERGY_CHARTS", "ELEXON", "OCTOPUS", "OCTOPUS_API", "ECB"):
    os.environ.setdefault(f"TARIFFCONNECT_{_feed}_URL", CLOSED_PORT)
# Tests receive webhooks on this machine: the operator's leave that a developer gives too
# (docs/webhooks.md). Tests of the address rules build their settings without it.
LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128"
os.environ.setdefault("TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS", LOOPBACK_NETWORKS)
# The suite sends hundreds of requests a second with one token: limits far above that, except
# in the tests of the limits themselves (tests/core/test_rate_limits.py).
for _limit in ("LOGIN_ADDRESS", "LOGIN_ACCOUNT", "API", "CONNECT"):
    os.environ.setdefault(f"TARIFFCONNECT_RATE_LIMIT_{_limit}", "1000000/second")


def _reset_postgres(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    url = TEST_DATABASE_URL or f"sqlite:///{data_dir / 'test.db'}"
    return Settings(
        data_dir=data_dir, database_url=url, demo_account=False, worker_in_process=False
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url_resolved, pool_size=5)
    if not db.is_sqlite:
        _reset_postgres(db)
    upgrade(db.engine)
    yield db
    db.dispose()
    if TEST_DATABASE_URL and os.environ.get("PYTEST_XDIST_WORKER"):
        _drop(make_url(TEST_DATABASE_URL))


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database=database)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def basic(account_id: str, key: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{account_id}:{key}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@dataclass
class Tenant:
    """An account with a test and a live key, and bearer headers for each mode."""

    client: TestClient
    account_id: str
    test_key: str
    test_key_id: str
    live_key: str
    live_key_id: str

    def login(self, *, live: bool = False) -> dict[str, str]:
        key = self.live_key if live else self.test_key
        response = self.client.get("/login", headers=basic(self.account_id, key))
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['bearer_token']}"}

    @property
    def test(self) -> dict[str, str]:
        return self.login(live=False)

    @property
    def live(self) -> dict[str, str]:
        return self.login(live=True)


def make_tenant(client: TestClient, database: Database, name: str = "Test") -> Tenant:
    with database.transaction() as session:
        account = accounts.create(session, name=name)
        test = accounts.create_key(session, account_id=account.id, live_mode=False)
        live = accounts.create_key(session, account_id=account.id, live_mode=True)
    return Tenant(client, account.id, test.secret, test.id, live.secret, live.id)


@pytest.fixture
def tenant(client: TestClient, database: Database) -> Tenant:
    return make_tenant(client, database)


@pytest.fixture
def other_tenant(client: TestClient, database: Database) -> Tenant:
    return make_tenant(client, database, name="Other")
