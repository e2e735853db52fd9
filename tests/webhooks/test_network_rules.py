"""Test-mode webhooks meet the live address rules: no endpoint or delivery reaches the
server's own network unless the operator allows it, and a delivery's error says only what
kind of failure it was (an open port and a closed one look the same)."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.webhooks.delivery import DeliveryPump
from tests.helpers import assert_error
from tests.webhooks.receiver import Receiver


@pytest.fixture
def strict(settings, database):
    """The service as an operator runs it by default: no private network allowed."""
    app = create_app(
        settings.model_copy(update={"webhook_allowed_networks": ""}), database=database
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://0.0.0.0/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "https://[::1]/hook",
    ],
)
def test_test_mode_refuses_endpoints_in_the_servers_network(strict, tenant, url):
    _app, client = strict
    response = client.post("/webhook_endpoints", json={"url": url}, headers=tenant.test)
    assert_error(response, 400, "url_invalid", context="api.webhook_endpoint_create")


def deliveries(client, tenant, endpoint_id):
    path = f"/webhook_endpoints/{endpoint_id}/deliveries"
    attempts = client.get(path, headers=tenant.test).json()["data"]
    return [(a["http_status"], a["error"]) for a in attempts]


def test_a_name_resolving_to_loopback_is_not_delivered_to(strict, client, tenant):
    receiver = Receiver().start()
    try:
        # Made while the operator allowed loopback (the session's app); delivered without.
        url = f"http://localhost:{receiver.port}/hook"
        made = client.post("/webhook_endpoints", json={"url": url}, headers=tenant.test)
        assert made.status_code == 201, made.text
        client.post("/customers", json={}, headers=tenant.test)
        app, strict_client = strict
        assert asyncio.run(DeliveryPump(app.state.runtime).run_once()) is True
        assert receiver.received == []
        assert deliveries(strict_client, tenant, made.json()["id"]) == [
            (None, "destination_not_allowed")
        ]
    finally:
        receiver.stop()


def open_port_that_hangs_up() -> tuple[socket.socket, int]:
    """A port that accepts a connection and closes it at once, answering nothing."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_an_open_port_and_a_closed_one_give_the_same_error(app, client, tenant):
    server, open_port = open_port_that_hangs_up()
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        made = [
            client.post(
                "/webhook_endpoints",
                json={"url": f"http://127.0.0.1:{port}/hook"},
                headers=tenant.test,
            ).json()
            for port in (open_port, closed_port)
        ]
        client.post("/customers", json={}, headers=tenant.test)
        asyncio.run(DeliveryPump(app.state.runtime).run_once())
        assert [deliveries(client, tenant, m["id"]) for m in made] == [
            [(None, "connection_failed")],
            [(None, "connection_failed")],
        ]
    finally:
        server.close()
