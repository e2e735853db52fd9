"""The module client against the real external module process, for each failure."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tariffconnect.integrations.module_client import close_clients, fetch_tariff_plan
from tariffconnect.integrations.sdk_tariff import PullFailed, parse
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.integrations import module_server
from tests.integrations.support import MODULE_FAILURES
from tests.integrations.support import module_server as running_module

LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")


@pytest.fixture(scope="module")
def module_url() -> Iterator[str]:
    with running_module() as url:
        yield url


def fetch(url: str, login: str, *, timeout: float = 5.0, **options: Any) -> Any:
    return fetch_tariff_plan(
        url,
        credentials={"login": login, "password": "secret"},
        reference_id="dcn_0192f4d1a2b3c4d5e6f7a8b9",
        live_mode=options.pop("live_mode", False),
        allow=options.pop("allow", LOOPBACK),
        timeout=timeout,
    )


def failure(url: str, login: str, **options: Any) -> str:
    with pytest.raises(PullFailed) as caught:
        fetch(url, login, **options)
    return caught.value.reason


def test_the_module_answers_the_sdk_tariff(module_url: str) -> None:
    answer = fetch(module_url, "alice")
    assert answer == {
        **module_server.TARIFF,
        "provider_tariff_reference": "dcn_0192f4d1a2b3c4d5e6f7a8b9",
    }
    assert parse(answer, timezone="Europe/London").display_name == "Module Day & Night"


def test_a_trailing_slash_is_one_url(module_url: str) -> None:
    assert fetch(module_url + "/", "alice")["display_name"] == "Module Day & Night"


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        *MODULE_FAILURES,
        ("nobody", "the module answered HTTP 422: Invalid credentials"),
        ("redirect", "the module answered HTTP 302"),
        ("big", "the module's answer is over 1 MiB"),
    ],
)
def test_each_failure_has_its_reason(module_url: str, login: str, reason: str) -> None:
    assert failure(module_url, login) == reason


def test_an_invalid_schedule_fails_the_parse(module_url: str) -> None:
    with pytest.raises(PullFailed) as caught:
        parse(fetch(module_url, "invalid_schedule"), timezone="Europe/London")
    assert caught.value.reason == (
        "invalid schedule: gap_in_time_period: "
        "All months, All days: 20:00:00-07:00:00 is not covered"
    )


def test_a_slow_module_times_out(module_url: str) -> None:
    assert failure(module_url, "slow", timeout=0.5) == "the module did not answer within 0.5 s"


def test_a_trickled_answer_is_cut_at_the_total_time_out(module_url: str) -> None:
    # Each byte comes within a read time-out, so only a total deadline ends the pull in time.
    timeout = 2.0
    started = time.monotonic()
    assert failure(module_url, "trickle", timeout=timeout) == "the module did not answer within 2 s"
    took = time.monotonic() - started
    # The answer would take minutes; a per-read time-out alone would stop it at 2 gaps.
    assert took < timeout + 1, took


def test_a_private_address_is_refused_unless_allowed(module_url: str) -> None:
    reason = failure(module_url, "alice", allow=())
    assert reason == "the module's address is not allowed (a private network)"
    assert failure("http://169.254.169.254", "alice") == reason


def test_http_is_refused_in_live_mode(module_url: str) -> None:
    assert failure(module_url, "alice", live_mode=True) == "the module must use https in live mode"


def test_a_closed_port_cannot_be_reached() -> None:
    assert failure("http://127.0.0.1:9", "alice") == "the module could not be reached"


def test_an_unresolvable_host_fails() -> None:
    reason = failure("https://no-such-module.invalid", "alice")
    assert reason == "the module's host name does not resolve"


def test_the_module_mode_overrides_the_login() -> None:
    with running_module(mode="http500") as url:
        assert failure(url, "alice") == "the module answered HTTP 500: Provider API down"


def test_a_message_repeating_a_credential_is_dropped(module_url: str) -> None:
    reason = failure(module_url, "http422")
    assert "secret" not in reason
    with pytest.raises(PullFailed) as caught:
        fetch_tariff_plan(
            module_url,
            credentials={"login": "nobody", "password": "Invalid credentials"},
            reference_id=None,
            live_mode=False,
            allow=LOOPBACK,
            timeout=5,
        )
    assert caught.value.reason == "the module answered HTTP 422"


class _KeepAlive(BaseHTTPRequestHandler):
    """A module answering every pull on a kept-alive HTTP/1.1 connection."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"display_name": "Kept"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def keep_alive_module() -> Iterator[tuple[str, ThreadingHTTPServer]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    server.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    close_clients()
    server.shutdown()
    server.server_close()


def test_pulls_from_one_module_share_a_kept_alive_connection(
    keep_alive_module: tuple[str, ThreadingHTTPServer],
) -> None:
    url, server = keep_alive_module
    answers = [fetch(url, "alice") for _ in range(3)]
    assert answers == [{"display_name": "Kept"}] * 3
    assert server.connections == 1  # type: ignore[attr-defined]


def test_closing_the_clients_connects_again(
    keep_alive_module: tuple[str, ThreadingHTTPServer],
) -> None:
    url, server = keep_alive_module
    fetch(url, "alice")
    close_clients()
    fetch(url, "alice")
    assert server.connections == 2  # type: ignore[attr-defined]


def test_each_origin_keeps_its_own_connection(
    keep_alive_module: tuple[str, ThreadingHTTPServer],
) -> None:
    url, server = keep_alive_module
    port = server.server_address[1]
    # The same server as "localhost" and as 127.0.0.1: two origins, so two pools.
    fetch(f"http://localhost:{port}", "alice")
    fetch(url, "alice")
    fetch(f"http://localhost:{port}", "alice")
    assert server.connections == 2  # type: ignore[attr-defined]
