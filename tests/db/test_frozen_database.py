"""A database that stops answering without closing its connections (a frozen server, a
network that drops everything) never holds a request longer than its deadline: the client
gets 503 `database_unavailable`, /health answers within its own 2 s, and the service goes on
once the database answers again.

The frozen server is a real TCP proxy in front of the test PostgreSQL that stops passing bytes
while it keeps every connection open, which is what a client sees of a SIGSTOPped server
(without stopping the server the rest of the suite shares).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL, make_tenant
from tests.e2e.server import fresh_database_url
from tests.helpers import assert_error

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite has no server to freeze")
LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
DEADLINE = 2.0


class FreezableProxy:
    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.flowing = threading.Event()
        self.flowing.set()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()  # frozen: hold the bytes, keep the connection
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.flowing.set()
        self.server.close()
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def frozen_service(tmp_path, settings):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        direct = make_url(url)
        proxy = FreezableProxy(direct.host or "127.0.0.1", direct.port or 5432)
        through_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
        database = Database(through_proxy, pool_size=2, statement_timeout_seconds=DEADLINE)
        upgrade(database.engine)
        service_settings = settings.model_copy(
            update={"database_url": through_proxy, "request_deadline_seconds": DEADLINE}
        )
        app = create_app(service_settings, database=database)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield client, database, proxy
        finally:
            proxy.close()
            database.dispose()


def answered_within(seconds: float, request: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer, if it comes within `seconds` (a bound far above the deadline: a request
    that waits for the database for as long as it is frozen never comes back at all)."""
    found: list[Any] = []
    worker = threading.Thread(target=lambda: found.append(request()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert found, f"no answer within {seconds} s"
    response: httpx.Response = found[0]
    return response


def test_a_frozen_database_answers_503_and_recovers(frozen_service):
    client, database, proxy = frozen_service
    tenant = make_tenant(client, database)
    headers = tenant.test
    made = client.post("/locations", json=LOCATION, headers=headers)
    assert made.status_code == 201, made.text
    path = f"/locations/{made.json()['id']}"
    assert client.get(path, headers=headers).status_code == 200

    session = client.post(
        "/connect",
        json={"location_id": made.json()["id"], "connect_url": "a://c", "callback_url": "a://d"},
        headers=headers,
    )
    token = session.json()["id"]
    flow = {"route": "session_start", "connect_token": token}

    proxy.flowing.clear()
    page = answered_within(10, lambda: client.post("/connect/flow", json=flow))
    assert page.status_code == 503
    assert (page.json()["code"], page.json()["connect_token"], page.json()["context"]) == (
        "database_unavailable",
        token,
        "connect.session_start",
    )
    hosted = answered_within(10, lambda: client.get(f"/connect/web?fp_cot={token}"))
    assert hosted.status_code == 503
    assert "text/html" in hosted.headers["content-type"]
    health = answered_within(10, lambda: client.get("/health"))
    assert_error(health, 503, "database_unavailable")
    read = answered_within(10, lambda: client.get(path, headers=headers))
    assert_error(read, 503, "database_unavailable", context="api.location_retrieve")
    write = answered_within(10, lambda: client.post("/locations", json=LOCATION, headers=headers))
    assert_error(write, 503, "database_unavailable", context="api.location_create")

    proxy.flowing.set()
    assert answered_within(10, lambda: client.get(path, headers=headers)).status_code == 200
    assert answered_within(10, lambda: client.get("/health")).status_code == 200
