"""Sandbox Energy: its catalogue entry, its registry rules and each scenario's outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from tariffconnect.integrations import sdk_tariff
from tariffconnect.integrations.adapters.base import (
    Authorised,
    FailedLogin,
    NeedsMfa,
    NoTariffs,
    NotYet,
    SeveralTariffs,
    TariffChoice,
    Unavailable,
)
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.adapters.sandbox import SandboxAdapter
from tariffconnect.providers import catalogue
from tariffconnect.providers.sandbox import SANDBOX, SANDBOX_PROVIDER_ID

sandbox = SandboxAdapter()


def login(user: str, password: str = "pass_good", **extra: str) -> dict[str, str]:
    return {"login": user, "password": password, **extra}


def test_the_catalogue_gets_but_never_lists_the_sandbox() -> None:
    assert catalogue.get(SANDBOX_PROVIDER_ID) is SANDBOX
    assert SANDBOX.display_name == "Sandbox Energy"
    assert (SANDBOX.integration_type, SANDBOX.country_code) == ("DIRECT", "ZZ")
    assert SANDBOX.slug == "zz-sandbox-energy"
    assert SANDBOX_PROVIDER_ID not in {p.id for p in catalogue.search()}
    assert catalogue.search(country_code="ZZ") == []


def test_the_sandbox_serves_test_mode_only() -> None:
    assert isinstance(adapter_for(SANDBOX_PROVIDER_ID, live_mode=False), SandboxAdapter)
    assert adapter_for(SANDBOX_PROVIDER_ID, live_mode=True) is None
    assert adapter_for("prv_000000000000000000000000", live_mode=False) is None


@pytest.mark.parametrize(
    "user",
    ["user_good", "user_mfa", "user_multi", "user_none", "user_pending", "user_down", "nobody"],
)
def test_a_wrong_password_fails_for_every_user(user: str) -> None:
    assert sandbox.authorise(login(user, "pass_bad")) == FailedLogin()


def test_an_unknown_user_fails() -> None:
    assert sandbox.authorise(login("nobody")) == FailedLogin()


def _schedule(reference: dict[str, Any]) -> sdk_tariff.Captured:
    captured = sandbox.capture(reference)
    assert isinstance(captured, dict)
    return sdk_tariff.parse(sandbox.convert(captured), timezone="Europe/London")


def _windows(captured: sdk_tariff.Captured) -> list[tuple[str, str, float]]:
    rule = captured.schedule[0]["days_and_hours"][0]
    return [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in rule["hours"]]


def test_user_good_has_one_time_of_day_tariff() -> None:
    outcome = sandbox.authorise(login("user_good"))
    assert outcome == Authorised({"user": "user_good"})
    captured = _schedule({**outcome.reference, "reference_id": "dcn_x", "pulls": 0})
    assert captured.display_name == "Sandbox Day & Night"
    assert _windows(captured) == [("07:00:00", "23:00:00", 0.3), ("23:00:00", "07:00:00", 0.12)]


def test_user_mfa_needs_the_code() -> None:
    assert sandbox.authorise(login("user_mfa")) == NeedsMfa(
        {"channel": "sms", "destination": "+44 ••• ••• 789"}
    )
    assert sandbox.authorise(login("user_mfa", otpCode="000000")) == FailedLogin()
    assert sandbox.authorise(login("user_mfa", otpCode="123456")) == Authorised(
        {"user": "user_mfa"}
    )


def test_user_multi_chooses_one_of_three() -> None:
    outcome = sandbox.authorise(login("user_multi"))
    assert isinstance(outcome, SeveralTariffs)
    assert [choice.id for choice in outcome.accounts] == ["sbx_1", "sbx_2", "sbx_3"]
    assert all(isinstance(choice, TariffChoice) and choice.name for choice in outcome.accounts)
    chosen = sandbox.authorise(login("user_multi", account="sbx_2"))
    assert chosen == Authorised({"user": "user_multi", "account": "sbx_2"})
    assert isinstance(sandbox.authorise(login("user_multi", account="sbx_9")), FailedLogin)
    captured = _schedule({**chosen.reference, "pulls": 0})
    assert captured.display_name == "Sandbox Night Saver"


def test_user_none_has_no_tariffs() -> None:
    assert sandbox.authorise(login("user_none")) == NoTariffs()


def test_user_pending_publishes_on_the_second_pull() -> None:
    outcome = sandbox.authorise(login("user_pending"))
    assert outcome == Authorised({"user": "user_pending"})
    assert sandbox.capture({**outcome.reference, "pulls": 0}) == NotYet()
    captured = _schedule({**outcome.reference, "pulls": 1})
    assert _windows(captured) == [("00:00:00", "00:00:00", 0.25)]


def test_user_down_is_unreachable() -> None:
    outcome = sandbox.authorise(login("user_down"))
    assert outcome == Authorised({"user": "user_down"})
    assert sandbox.capture({**outcome.reference, "pulls": 0}) == Unavailable(
        "sandbox: the provider is unreachable"
    )


def test_user_expire_works_once_then_is_refused() -> None:
    outcome = sandbox.authorise(login("user_expire"))
    assert outcome == Authorised({"user": "user_expire"})
    assert _windows(_schedule({**outcome.reference, "pulls": 0})) == [
        ("00:00:00", "00:00:00", 0.25)
    ]
    assert sandbox.capture({**outcome.reference, "pulls": 1}) == Unavailable(
        "sandbox: the provider refused the stored credentials"
    )
