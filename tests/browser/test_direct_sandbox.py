"""Sandbox Energy through the hosted Connect pages and the hosted auth pages, in real Chromium
at a phone's size: a customer picks the provider, logs in on /connect/auth/…, allows, and is
back on the hosted Connect pages' summary with a DIRECT tariff; the MFA and several-tariffs
scenarios, a wrong password tried again; and axe-core over every auth page."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.browser import test_accessibility
from tests.browser.conftest import Phone
from tests.browser.test_accessibility import Auditor
from tests.browser.test_hosted_flow import LONDON, finish, heading, next_page
from tests.connect.flow.flow import make_session

pytestmark = pytest.mark.e2e

SANDBOX = "Sandbox Energy"
SANDBOX_DATA = {"provider": {"id": SANDBOX_PROVIDER_ID}}
# The accessibility tests' fixtures: a phone that runs axe-core over each page it shows.
auditor = test_accessibility.auditor
axe_script = test_accessibility.axe_script
AUTH_URL = re.compile(rf".*/connect/auth/{SANDBOX_PROVIDER_ID}\?fp_cot=cot_\w+")


def open_sandbox(phone: Phone, live: Any) -> str:
    """A session whose main front end is the hosted Connect pages; on to the Sandbox's login."""
    with httpx.Client(base_url=live.base) as client:
        options = {"connect_url": f"{live.base}/connect/web"}
        token = make_session(
            client, live.headers, LONDON, callback_url=live.callback, options=options
        )
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    assert heading(phone) == "Choose your energy provider"
    phone.page.get_by_label(SANDBOX, exact=True).check()
    next_page(phone, "provider_select")
    phone.page.wait_for_url(AUTH_URL)
    assert heading(phone) == "Log in to Sandbox Energy"
    return token


def log_in(phone: Phone, user: str, password: str = "pass_good") -> None:
    phone.page.get_by_label("Username", exact=True).fill(user)
    phone.page.get_by_label("Password", exact=True).fill(password)
    next_page(phone, "auth_metadata_capture", button="Connect")


def allow(phone: Phone, live: Any, token: str) -> dict[str, Any]:
    """Allow on the consent page; back on the hosted pages' summary, Done: the tariff."""
    assert heading(phone) == "Allow access to your tariff"
    next_page(phone, "consent_capture", button="Allow")
    phone.page.wait_for_url(re.compile(r".*/connect/web\?fp_cot="))
    tariff: dict[str, Any] = finish(phone, live, token)
    assert tariff["connection_type"] == "DIRECT"
    assert tariff["provider_id"] == SANDBOX_PROVIDER_ID
    return tariff


def test_user_good_connects_a_direct_tariff(phone, live):
    token = open_sandbox(phone, live)
    wait = phone.page.get_by_role("status")
    connect = phone.page.get_by_role("button", name="Connect", exact=True)
    # Empty fields: the browser holds the form back, and no wait panel shows.
    connect.click()
    assert heading(phone) == "Log in to Sandbox Energy"
    assert wait.is_hidden()
    # A pressed button keeps the focus while the login is checked: the panel shows, in CSS.
    phone.page.get_by_label("Username", exact=True).fill("user_good")
    phone.page.get_by_label("Password", exact=True).fill("pass_good")
    connect.focus()
    assert wait.is_visible()
    assert wait.inner_text() == "Please wait, this can take up to a minute."
    phone.shot("wait")
    log_in(phone, "user_good")
    tariff = allow(phone, live, token)
    assert tariff["is_linked"] is True


def test_user_mfa_enters_the_code(phone, live):
    token = open_sandbox(phone, live)
    log_in(phone, "user_mfa")
    assert heading(phone) == "Enter your code"
    phone.page.get_by_label("Code", exact=True).fill("123456")
    next_page(phone, "mfa_capture")
    allow(phone, live, token)


def test_user_multi_picks_the_second_tariff(phone, live):
    token = open_sandbox(phone, live)
    log_in(phone, "user_multi")
    assert heading(phone) == "Choose your tariff"
    radios = phone.page.get_by_role("radio")
    assert radios.count() == 3
    radios.nth(1).check()
    next_page(phone, "multiple_available_tariffs")
    allow(phone, live, token)


def test_a_wrong_password_then_try_again(phone, live):
    token = open_sandbox(phone, live)
    log_in(phone, "user_good", "wrong")
    assert heading(phone) == "We could not log you in"
    phone.shot("failed_login")
    phone.page.get_by_role("link", name="Try again", exact=True).click()
    phone.page.wait_for_url(AUTH_URL)
    assert heading(phone) == "Log in to Sandbox Energy"
    log_in(phone, "user_good")
    allow(phone, live, token)


def test_the_auth_pages_have_no_serious_violation(auditor: Auditor, live: Any) -> None:
    ask = auditor.answer
    open_sandbox(auditor.phone, live)
    ask("auth_metadata_capture", "Log in to Sandbox Energy", press="")
    fill = {"Username": "user_good", "Password": "wrong"}
    ask("", "Log in to Sandbox Energy", fill=fill, press="Connect")
    ask("failed_login", "We could not log you in", press="")
    auditor.page.get_by_role("link", name="Try again", exact=True).click()
    auditor.page.wait_for_load_state()
    fill = {"Username": "user_mfa", "Password": "pass_good"}
    ask("", "Log in to Sandbox Energy", fill=fill, press="Connect")
    ask("mfa_capture", "Enter your code", fill={"Code": "123456"})
    ask("consent_capture", "Allow access to your tariff", press="")
    open_sandbox(auditor.phone, live)
    fill = {"Username": "user_multi", "Password": "pass_good"}
    ask("", "Log in to Sandbox Energy", fill=fill, press="Connect")
    ask("multiple_available_tariffs", "Choose your tariff", press="")
    open_sandbox(auditor.phone, live)
    fill = {"Username": "user_none", "Password": "pass_good"}
    ask("", "Log in to Sandbox Energy", fill=fill, press="Connect")
    ask("no_available_tariffs", "No tariff found", press="")
    auditor.page.goto(f"{live.base}/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot=cot_none")
    ask("error", "This link is not valid", press="")
    assert auditor.problems == {}, auditor.problems
    assert len(auditor.audited) == 7


def test_back_to_a_front_end_on_another_origin(phone, live):
    """The reference front end's case: it drives the flow API itself and sends the customer
    to the auth page; the consent's 303 goes back to its own origin (the page's form-action
    allows it)."""
    origin = live.callback.split("/connected")[0]
    with httpx.Client(base_url=live.base) as client:
        options = {"connect_url": f"{origin}/front-end"}
        token = make_session(
            client, live.headers, LONDON, callback_url=live.callback, options=options
        )
        for route, data in (("session_start", None), ("provider_select", SANDBOX_DATA)):
            body = {"route": route, "connect_token": token, "type": "submit", "data": data}
            reply = client.post("/connect/flow", content=json.dumps(body)).json()
    assert reply["route"] == "session_redirect"
    phone.page.goto(f"{reply['data']['redirect_uri']}&screen=tariff")
    log_in(phone, "user_good")
    next_page(phone, "consent_capture", button="Allow")
    phone.page.wait_for_url(f"{origin}/front-end?*")
    query = parse_qs(urlsplit(phone.page.url).query)
    assert query == {"fp_cot": [token], "screen": ["tariff"]}
    assert heading(phone) == "Front end"
