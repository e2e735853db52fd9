"""DIRECT from a front end on another origin that speaks exactly as Flatpeak's reference front
end does (no Content-Type, `type: "submit"`, `window.location.replace` to a
`session_redirect`'s `redirect_url`), in real Chromium: the customer logs in on the Sandbox's
hosted auth page or on an external module's page (a real process, bound by the operator's
command), allows, and is back on the front end's `connect_url?fp_cot=…`, where
`session_start` shows what the first pull brought."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.browser.conftest import Phone
from tests.browser.test_direct_sandbox import log_in
from tests.browser.test_hosted_flow import LONDON, heading, next_page
from tests.cli.conftest import tariffconnect
from tests.connect.flow.flow import make_session, plain_provider
from tests.integrations.support import module_server

pytestmark = pytest.mark.e2e

SUMMARY_ACTIONS = ["EDIT", "WRONG_TARIFF", "DISCONNECT", "BACK", "CLOSE"]


class FrontEnd:
    """The reference-style front end at `{origin}/front-end`, the session's connect_url."""

    def __init__(self, phone: Phone, live: Any) -> None:
        self.phone, self.live = phone, live
        self.origin = live.callback.split("/connected")[0]
        self.url = f"{self.origin}/front-end"
        self.api = f"{live.base}/connect/flow"
        with httpx.Client(base_url=live.base) as client:
            self.token = make_session(
                client,
                live.headers,
                LONDON,
                callback_url=live.callback,
                options={"connect_url": self.url},
            )
        phone.page.goto(f"{self.url}?fp_cot={self.token}")

    def submit(self, route: str, **extra: Any) -> dict[str, Any]:
        payload = {"route": route, "type": "submit", "connect_token": self.token, **extra}
        reply: dict[str, Any] = self.phone.page.evaluate(
            "([api, p]) => window.submitAction(api, p)", [self.api, payload]
        )
        return reply

    def choose(self, provider_id: str) -> str:
        """session_start, then the provider: its session_redirect's URL (both keys equal)."""
        reply = self.submit("session_start")
        assert reply["route"] == "provider_select"
        assert provider_id in {p["id"] for p in reply["data"]["providers"]}
        reply = self.submit("provider_select", data={"provider": {"id": provider_id}})
        assert reply["route"] == "session_redirect"
        assert reply["data"]["redirect_url"] == reply["data"]["redirect_uri"]
        url: str = reply["data"]["redirect_url"]
        return url

    def follow(self, url: str) -> None:
        """As the reference does with a session_redirect."""
        self.phone.page.evaluate("(url) => window.location.replace(url)", url)

    def back(self) -> dict[str, list[str]]:
        """Wait until the customer is back on the front end; the query it was given."""
        self.phone.page.wait_for_url(f"{self.url}?*")
        assert heading(self.phone) == "Front end"
        return parse_qs(urlsplit(self.phone.page.url).query)


@pytest.fixture(scope="module")
def module_provider(live: Any) -> Iterator[tuple[str, str]]:
    """An external auth module speaking to the live server, and a provider bound to it."""
    with module_server(connect_api=f"{live.base}/connect/flow") as module_url:
        provider_id = plain_provider()
        bound = tariffconnect(live.env, "provider", "auth-module", provider_id, module_url)
        assert bound.returncode == 0, bound.stderr
        try:
            yield module_url, provider_id
        finally:
            tariffconnect(live.env, "provider", "auth-module", provider_id, "--clear")


def sandbox_login(front: FrontEnd, user: str, *, extra_query: str = "") -> None:
    """Pick the Sandbox, log in on its hosted auth page as `user`, allow."""
    url = front.choose(SANDBOX_PROVIDER_ID)
    assert url == f"{front.live.base}/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot={front.token}"
    front.follow(url + extra_query)
    front.phone.page.wait_for_url(re.compile(rf".*/connect/auth/{SANDBOX_PROVIDER_ID}\?.*"))
    assert heading(front.phone) == "Log in to Sandbox Energy"
    log_in(front.phone, user)
    assert heading(front.phone) == "Allow access to your tariff"
    next_page(front.phone, "consent_capture", button="Allow")


def summary(front: FrontEnd, provider_id: str, name: str, password: str) -> None:
    """Back on the front end, session_start shows the DIRECT day-and-night tariff (and never
    the password the customer gave the module)."""
    reply = front.submit("session_start")
    assert password not in json.dumps(reply)
    assert (reply["route"], reply["actions"]) == ("tariff_summary", SUMMARY_ACTIONS)
    assert (reply["data"]["connection_type"], reply["data"]["provider"]["id"]) == (
        "DIRECT",
        provider_id,
    )
    tariff = reply["data"]["tariff"]
    assert (tariff["name"], tariff["structure_type"], tariff["connection_type"]) == (
        name,
        "TIME_OF_DAY",
        "DIRECT",
    )


def test_sandbox_user_good_comes_back_with_a_direct_tariff(phone, live):
    front = FrontEnd(phone, live)
    sandbox_login(front, "user_good", extra_query="&screen=tariff")
    # The parameter the front end added to the redirect URL comes back with the token.
    assert front.back() == {"fp_cot": [front.token], "screen": ["tariff"]}
    summary(front, SANDBOX_PROVIDER_ID, "Sandbox Day & Night", "pass_good")
    phone.shot("summary")
    session = live.get(f"/connect/{front.token}")
    assert session["status"] == "COMPLETED"
    tariffs = live.get("/tariffs", location_id=session["location_id"])["data"]
    assert [(t["provider_id"], t["connection_type"], t["is_linked"]) for t in tariffs] == [
        (SANDBOX_PROVIDER_ID, "DIRECT", True)
    ]


def test_an_external_module_comes_back_with_a_direct_tariff(phone, live, module_provider):
    module_url, provider_id = module_provider
    front = FrontEnd(phone, live)
    url = front.choose(provider_id)
    assert url == f"{module_url}/?fp_cot={front.token}"
    front.follow(url)
    page = phone.page
    page.wait_for_selector('main[data-route="auth_metadata_capture"]')
    page.fill('input[name="login"]', "alice")
    page.fill('input[name="password"]', "secret")
    next_page(phone, "module-login", button="Connect")
    page.wait_for_selector('main[data-route="consent_capture"]')
    next_page(phone, "module-consent", button="Allow")
    assert front.back() == {"fp_cot": [front.token]}
    summary(front, provider_id, "Module Day & Night", "secret")


def test_sandbox_user_pending_saves_and_returns_to_the_app(phone, live):
    front = FrontEnd(phone, live)
    sandbox_login(front, "user_pending")
    assert front.back() == {"fp_cot": [front.token]}
    reply = front.submit("session_start")
    assert (reply["route"], reply["actions"]) == (
        "tariff_connection_pending",
        ["SAVE", "DISCONNECT", "DISMISS_DIRECT", "CLOSE"],
    )
    assert reply["data"]["provider"]["id"] == SANDBOX_PROVIDER_ID
    reply = front.submit("tariff_connection_pending", action="SAVE")
    assert reply["route"] == "session_redirect"
    callback = f"{live.callback}&fp_cot={front.token}"
    assert reply["data"]["redirect_url"] == callback
    front.follow(reply["data"]["redirect_url"])
    phone.page.wait_for_url(f"{live.callback.split('?')[0]}?*")
    assert parse_qs(urlsplit(phone.page.url).query) == {"app": ["demo"], "fp_cot": [front.token]}
    assert live.get(f"/connect/{front.token}")["status"] == "COMPLETED"


def test_sandbox_user_down_fails_and_edit_goes_back_to_the_providers(phone, live):
    front = FrontEnd(phone, live)
    sandbox_login(front, "user_down")
    assert front.back() == {"fp_cot": [front.token]}
    reply = front.submit("session_start")
    assert (reply["route"], reply["actions"]) == (
        "tariff_connection_failed",
        ["RECONNECT", "EDIT", "DISCONNECT", "BACK", "CLOSE"],
    )
    assert reply["data"]["connection_type"] == "DIRECT"
    assert reply["data"]["provider"]["id"] == SANDBOX_PROVIDER_ID
    reply = front.submit("tariff_connection_failed", action="EDIT")
    assert reply["route"] == "provider_select"
    assert SANDBOX_PROVIDER_ID in {p["id"] for p in reply["data"]["providers"]}
