"""A pooled connection the database has dropped is found on use, not by a pre-ping per
request: reads are run again on a fresh connection, and the pool recovers at once."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL, make_tenant
from tests.e2e.server import fresh_database_url

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="SQLite has no server to drop a connection"
)

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}


def drop_connections(database: Database) -> int:
    """What a database restart does to a pool: every connection to the database is ended
    (from a connection outside the pool)."""
    admin = create_engine(database.url, poolclass=NullPool)
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return int(ended)


@pytest.fixture
def service(tmp_path, settings):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        database = Database(url, pool_size=2)
        upgrade(database.engine)
        app = create_app(settings.model_copy(update={"database_url": url}), database=database)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, database
        database.dispose()


def test_reads_and_writes_after_the_database_dropped_every_connection(service):
    client, database = service
    tenant = make_tenant(client, database)
    headers = tenant.test
    made = client.post("/locations", headers=headers, json=LOCATION)
    assert made.status_code == 201, made.text
    assert client.get(f"/locations/{made.json()['id']}", headers=headers).status_code == 200
    assert drop_connections(database) >= 1

    read = client.get(f"/locations/{made.json()['id']}", headers=headers)
    assert (read.status_code, read.json()["id"]) == (200, made.json()["id"])
    again = client.post("/locations", headers=headers, json=LOCATION)
    assert again.status_code == 201, again.text
    assert client.get("/health").status_code == 200


def test_health_answers_after_the_database_dropped_every_connection(service):
    client, database = service
    assert client.get("/health").status_code == 200
    assert drop_connections(database) >= 1
    assert client.get("/health").status_code == 200
