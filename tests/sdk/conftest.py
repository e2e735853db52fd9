"""A real `tariffconnect serve` (with its worker) for the SDK tests, and accounts made by its CLI.

One server for all SDK tests, on a fresh database of the kind under test (SQLite, or
PostgreSQL when TARIFFCONNECT_TEST_DATABASE_URL is set); each test makes its own account, so
tests stay independent without cleaning up.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tariffconnect_client import AsyncClient, Client
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url
from tests.e2e.test_release_scripts import operator

# Tokens live the shortest time the service allows, so the refresh margin is a tenth of it.
TOKEN_TTL_SECONDS = 60


@contextmanager
def serving(data_dir: Path, **env: str) -> Iterator[Server]:
    """A started server without a demo account on a fresh database; killed afterwards."""
    with fresh_database_url(TEST_DATABASE_URL, data_dir) as url:
        server = Server(data_dir, url, TARIFFCONNECT_DEMO_ACCOUNT="false", **env)
        try:
            server.start()
            yield server
        finally:
            server.stop(signal.SIGKILL)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(
        tmp_path_factory.mktemp("sdk-server"),
        TARIFFCONNECT_TOKEN_TTL_SECONDS=str(TOKEN_TTL_SECONDS),
        # Deliveries leave within a fifth of a second of their event.
        TARIFFCONNECT_WORKER_POLL_SECONDS="0.2",
    ) as server:
        yield server


@dataclass(frozen=True)
class Account:
    base_url: str
    account_id: str
    api_key: str

    def client(self, **options: object) -> Client:
        return Client(
            account_id=self.account_id, api_key=self.api_key, base_url=self.base_url, **options
        )  # type: ignore[arg-type]

    def async_client(self, **options: object) -> AsyncClient:
        return AsyncClient(
            account_id=self.account_id, api_key=self.api_key, base_url=self.base_url, **options
        )  # type: ignore[arg-type]


@pytest.fixture
def account(served: Server) -> Account:
    created = json.loads(operator(served, "account", "create", "--json"))
    return Account(served.base, created["account_id"], created["test_api_key"])


@pytest.fixture
def client(account: Account) -> Iterator[Client]:
    with account.client() as sdk:
        yield sdk


LONDON = {"city": "London", "country_code": "GB", "post_code": "SW1A 2AA"}
