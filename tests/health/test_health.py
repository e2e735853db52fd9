"""GET /health, GET /health/worker, and what any request answers while the database is down."""

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tariffconnect.accounts import tokens
from tariffconnect.app import create_app
from tariffconnect.config import Settings
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.jobs import beats
from tests.helpers import assert_error

# Nothing listens on port 1, so connecting fails at once, as with a stopped server.
UNREACHABLE = "postgresql+psycopg://tc@127.0.0.1:1/nothing?connect_timeout=2"


def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("broken"),
        database_url=UNREACHABLE,
        demo_account=False,
        worker_in_process=False,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield settings, client


def test_health_is_503_when_the_database_does_not_answer(broken):
    _, client = broken
    assert_error(client.get("/health"), 503, "database_unavailable", context="api.health")


def test_requests_get_503_not_500_while_the_database_is_down(broken):
    settings, client = broken
    token = tokens.mint(
        secret=settings.signing_secret,
        issuer=settings.token_issuer,
        ttl_seconds=60,
        account_id="acc_" + "0" * 24,
        live_mode=False,
        key_id="key_" + "0" * 24,
    )
    response = client.get("/account", headers={"Authorization": f"Bearer {token}"})
    body = assert_error(response, 503, "database_unavailable", context="api.account_retrieve")
    assert body["type"] == "api_error"
    assert "127.0.0.1" not in response.text


def test_health_worker_follows_the_workers_heartbeats(client, database):
    assert_error(
        client.get("/health/worker"), 503, "worker_unavailable", context="api.health_worker"
    )
    now = utcnow().replace(microsecond=0)
    with database.transaction() as session:
        beats.beat(session, worker_id="wrk_health", poll_seconds=60, started=now, now=now)
    try:
        response = client.get("/health/worker")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "workers": 1, "last_seen": format_utc(now)}
        with database.transaction() as session:  # silent for over twice its poll interval
            stale = now - timedelta(seconds=121)
            beats.beat(session, worker_id="wrk_health", poll_seconds=60, started=now, now=stale)
        assert_error(client.get("/health/worker"), 503, "worker_unavailable")
    finally:
        with database.transaction() as session:
            beats.forget(session, worker_id="wrk_health")
