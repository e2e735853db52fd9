"""An external auth module behind the hosted Connect pages, in real Chromium: the customer picks
a provider the operator bound to a module (a real process), is sent to the module's own login
page, logs in, allows, and is back on the hosted pages' summary with the DIRECT tariff."""

from __future__ import annotations

import re

import httpx
import pytest

from tariffconnect.providers import catalogue
from tests.browser.test_hosted_flow import LONDON, choose_provider, finish, heading, next_page
from tests.browser.test_reference_direct import module_provider
from tests.connect.flow.flow import make_session

pytestmark = pytest.mark.e2e

__all__ = ["module_provider"]  # the module-scoped fixture: a module process, a bound provider


def test_a_customer_on_the_hosted_pages_connects_through_an_external_module(
    phone, live, module_provider
):
    module_url, provider_id = module_provider
    with httpx.Client(base_url=live.base) as client:
        options = {"connect_url": f"{live.base}/connect/web"}
        token = make_session(
            client, live.headers, LONDON, callback_url=live.callback, options=options
        )
    page = phone.page
    page.goto(f"{live.base}/connect/web?fp_cot={token}")
    choose_provider(phone, catalogue.get_or_raise(provider_id).display_name)
    # The hosted pages send the browser to the module itself, with the token.
    page.wait_for_selector('main[data-route="auth_metadata_capture"]')
    assert page.url == f"{module_url}/?fp_cot={token}"
    page.fill('input[name="login"]', "alice")
    page.fill('input[name="password"]', "secret")
    next_page(phone, "module-login", button="Connect")
    page.wait_for_selector('main[data-route="consent_capture"]')
    next_page(phone, "module-consent", button="Allow")
    # The module's redirect brings the customer back to the hosted pages, on the summary.
    page.wait_for_url(re.compile(r".*/connect/web\?fp_cot="))
    assert heading(phone) == "Tariff summary"
    assert page.get_by_text("Module Day & Night").first.is_visible()
    tariff = finish(phone, live, token)
    assert (tariff["connection_type"], tariff["provider_id"], tariff["is_linked"]) == (
        "DIRECT",
        provider_id,
        True,
    )
    assert tariff["display_name"] == "Module Day & Night"
