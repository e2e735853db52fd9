"""Back on the hosted Connect pages after a DIRECT login at Sandbox Energy, in real Chromium
at a phone's size: `user_pending` lands on the pending page and saves (the location's tariff
stays PENDING), `user_down` on the failed page, whose buttons lead to the login again or to
the provider list; axe-core over both pages, and the pending page in German."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import test_accessibility
from tests.browser.conftest import Phone
from tests.browser.test_accessibility import Auditor
from tests.browser.test_direct_sandbox import AUTH_URL, log_in, open_sandbox
from tests.browser.test_hosted_flow import heading, next_page

pytestmark = pytest.mark.e2e

# The accessibility tests' fixtures: a phone that runs axe-core over each page it shows.
auditor = test_accessibility.auditor
axe_script = test_accessibility.axe_script
HOSTED_URL = re.compile(r".*/connect/web\?fp_cot=cot_\w+$")
PENDING = "Connecting your tariff"
FAILED = "We could not read your tariff from Sandbox Energy"


def back_from(phone: Phone, live: Any, user: str) -> str:
    """Log in to Sandbox Energy as `user` and allow: back on the hosted pages. The token."""
    token = open_sandbox(phone, live)
    log_in(phone, user)
    assert heading(phone) == "Allow access to your tariff"
    next_page(phone, "consent_capture", button="Allow")
    phone.page.wait_for_url(HOSTED_URL)
    return token


def buttons(phone: Phone) -> list[str]:
    """The buttons' texts without what screen readers skip (Back's arrow, Close's cross)."""
    found = phone.page.get_by_role("button").evaluate_all(
        "buttons => buttons.map(b => [...b.childNodes]"
        ".filter(n => !(n.getAttribute && n.getAttribute('aria-hidden') === 'true'))"
        ".map(n => n.textContent).join(''))"
    )
    return [" ".join(text.split()) for text in found]


def tariff_status(live: Any, token: str) -> dict[str, str]:
    location_id = live.get(f"/connect/{token}")["location_id"]
    status: dict[str, str] = live.get(f"/locations/{location_id}")["tariff_status"]
    return status


def test_user_pending_saves_and_the_tariff_is_pending(phone, live):
    token = back_from(phone, live, "user_pending")
    assert heading(phone) == PENDING
    assert phone.page.locator(".lead").inner_text() == (
        "We are reading your tariff from Sandbox Energy. This can take a while."
    )
    assert buttons(phone) == ["Close", "Save", "Set my tariff manually", "Disconnect"]
    next_page(phone, "tariff_connection_pending", button="Save")
    phone.page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    assert parse_qs(urlsplit(phone.page.url).query) == {"app": ["demo"], "fp_cot": [token]}
    assert heading(phone) == "Back in the app"
    assert tariff_status(live, token)["commodity_import"] == "PENDING"


def test_user_down_tries_again_then_chooses_another_provider(phone, live):
    back_from(phone, live, "user_down")
    assert heading(phone) == FAILED
    assert buttons(phone) == [
        "Back",
        "Close",
        "Try again",
        "Choose another provider",
        "Disconnect",
    ]
    next_page(phone, "tariff_connection_failed", button="Try again")
    phone.page.wait_for_url(AUTH_URL)
    assert heading(phone) == "Log in to Sandbox Energy"
    log_in(phone, "user_down")
    next_page(phone, "consent_capture", button="Allow")
    phone.page.wait_for_url(HOSTED_URL)
    assert heading(phone) == FAILED
    next_page(phone, "tariff_connection_failed", button="Choose another provider")
    assert heading(phone) == "Choose your energy provider"


def test_the_pending_page_in_german(phone, live):
    back_from(phone, live, "user_pending")
    phone.page.goto(f"{phone.page.url}&lang=de")
    assert phone.page.locator("html").get_attribute("lang") == "de"
    assert heading(phone) == "Ihr Tarif wird verbunden"
    assert phone.page.locator(".lead").inner_text() == (
        "Wir lesen Ihren Tarif bei Sandbox Energy aus. Das kann eine Weile dauern."
    )
    phone.shot("pending_de")
    assert buttons(phone) == ["Schließen", "Speichern", "Tarif selbst eingeben", "Trennen"]


def test_both_pages_have_no_serious_violation(auditor: Auditor, live: Any) -> None:
    back_from(auditor.phone, live, "user_pending")
    auditor.check("tariff_connection_pending", PENDING)
    back_from(auditor.phone, live, "user_down")
    auditor.check("tariff_connection_failed", FAILED)
    assert auditor.problems == {}, auditor.problems
    assert auditor.audited == ["tariff_connection_pending", "tariff_connection_failed"]
