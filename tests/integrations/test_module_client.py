"""The module client against the real external module process, for each failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tariffconnect.integrations.module_client import fetch_tariff_plan
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
