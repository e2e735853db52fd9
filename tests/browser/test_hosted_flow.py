"""The four ways through the hosted Connect pages, in real Chromium at a phone's size.

Each test starts where an app sends its customer (`/connect/web?fp_cot=…`), answers every page
as a customer would (labels and buttons, no script), ends on the app's callback with
`fp_cot`, and checks through the REST API that the tariff is connected. A screenshot of each
page lands in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e

LONDON = {
    "address_line1": "10 Downing Street",
    "city": "London",
    "post_code": "SW1A 2AA",
    "country_code": "GB",
}
LIBRARY_PROVIDER = "E.ON Next"  # has shipped tariffs in the library, and no DIRECT login
PLAIN_PROVIDER = "Good Energy"  # has none: the manual path follows


def open_flow(phone, live, address=LONDON):
    token = live.session(address)
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    return token


def heading(phone):
    return phone.page.get_by_role("heading", level=1).inner_text()


def next_page(phone, name, button="Continue"):
    """Screenshot the page as answered, then press its button."""
    phone.shot(name)
    phone.page.get_by_role("button", name=button, exact=True).click()
    phone.page.wait_for_load_state()


def choose_provider(phone, provider):
    assert heading(phone) == "Choose your energy provider"
    phone.page.get_by_label(provider, exact=True).check()
    next_page(phone, "provider_select")


def name_and_contract(phone, name):
    field = phone.page.get_by_label("Tariff name", exact=True)
    field.fill(name)
    next_page(phone, "tariff_name_capture")
    phone.page.get_by_label("Contract end date", exact=True).fill(
        f"{datetime.now(UTC).year + 1}-09-30"
    )
    next_page(phone, "contract_term_capture")


def finish(phone, live, token, *, data_available=True):
    """On the summary: Done returns to the app with the token. `data_available`: whether
    prices exist now (not for a market tariff whose source has none stored)."""
    page = phone.page
    assert page.get_by_role("button", name="Done", exact=True).is_visible()
    next_page(phone, "tariff_summary", button="Done")
    page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"app": ["demo"], "fp_cot": [token]}
    assert page.get_by_role("heading", level=1).inner_text() == "Back in the app"
    phone.shot("callback")
    session = live.get(f"/connect/{token}")
    assert (session["status"], session["data_available"]) == ("COMPLETED", data_available)
    tariffs = live.get("/tariffs", location_id=session["location_id"])["data"]
    assert [t["status"] for t in tariffs] == ["CONNECTED"]
    return tariffs[0]


def test_fixed_rate(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, PLAIN_PROVIDER)
    phone.page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "tariff_structure_select")
    phone.page.get_by_label("Price per kWh (p/kWh)", exact=True).fill("24,5")
    next_page(phone, "rate_fixed_capture")
    name_and_contract(phone, "My fixed tariff")
    summary = phone.page.locator("main").inner_text()
    assert "My fixed tariff" in summary
    tariff = finish(phone, live, token)
    assert tariff["connection_type"] == "MANUAL"
    assert tariff["display_name"] == "My fixed tariff"
    rate = tariff["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert rate["fixed"] == 0.245
    assert tariff["contract_end_date"] == f"{datetime.now(UTC).year + 1}-09-30T00:00:00Z"


def test_time_of_day_with_a_mistake_corrected(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, PLAIN_PROVIDER)
    phone.page.get_by_label("Day and night rates", exact=True).check()
    next_page(phone, "tariff_structure_select")
    page = phone.page
    page.get_by_label("Day starts", exact=True).fill("07:00")
    page.get_by_label("Day ends", exact=True).fill("23:00")
    page.get_by_label("Day rate (p/kWh)", exact=True).fill("30")
    page.get_by_label("Night starts", exact=True).fill("23:30")  # leaves 23:00-23:30 uncovered
    page.get_by_label("Night ends", exact=True).fill("07:00")
    page.get_by_label("Night rate (p/kWh)", exact=True).fill("8.5")
    next_page(phone, "rate_tod_capture")
    alert = page.get_by_role("alert")
    assert "There is a problem" in alert.inner_text()
    assert page.get_by_label("Day rate (p/kWh)", exact=True).input_value() == "30"
    phone.shot("rate_tod_capture-error")
    page.get_by_label("Night starts", exact=True).fill("23:00")
    next_page(phone, "rate_tod_capture-fixed")
    name_and_contract(phone, "Day and night")
    charts = page.get_by_role("img", name=re.compile(r"^Prices (today|tomorrow)"))
    assert charts.count() == 2
    tariff = finish(phone, live, token)
    hours = tariff["schedule"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in hours] == [
        ("07:00:00", "23:00:00", 0.3),
        ("23:00:00", "07:00:00", 0.085),
    ]


def test_library_tariff(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, LIBRARY_PROVIDER)
    page = phone.page
    assert heading(phone) == "Choose your tariff"
    page.get_by_label("E.ON Next Drive", exact=True).check()
    next_page(phone, "tariff_select")
    # A published tariff has its own name: straight to the contract.
    page.get_by_label("Contract end date", exact=True).fill(f"{datetime.now(UTC).year + 1}-09-30")
    next_page(phone, "contract_term_capture")
    tariff = finish(phone, live, token)
    assert tariff["connection_type"] == "LIBRARY"
    assert tariff["display_name"] == "E.ON Next Drive"


def test_market_tariff_after_going_back(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, PLAIN_PROVIDER)
    page = phone.page
    page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "tariff_structure_select")
    # Changed their mind: Back to the structure, then the market.
    next_page(phone, "rate_fixed_capture-back", button="Back")
    page.get_by_label("Market price", exact=True).check()
    next_page(phone, "tariff_structure_select-again")
    page.get_by_label("Fixed surcharge (p/kWh) (optional)", exact=True).fill("12")
    page.get_by_label("Percentage surcharge (%) (optional)", exact=True).fill("5")
    next_page(phone, "surcharge_capture")
    name_and_contract(phone, "Agile-like")
    # No market prices are stored in this test: connected, but nothing to fetch yet.
    tariff = finish(phone, live, token, data_available=False)
    assert tariff["connection_type"] == "MARKET"
    assert tariff["market_rates"] is True
    rate = tariff["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert (rate["surcharge_fixed"], rate["surcharge_percentage"]) == (0.12, 0.05)


def test_german_from_the_browser_language(chromium, live, tmp_path):
    context = chromium.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        token = live.session(LONDON)
        page.goto(f"{live.base}/connect/web?fp_cot={token}")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("button", name="Weiter", exact=True).is_visible()
        assert page.get_by_role("button", name="Schließen", exact=True).is_visible()
    finally:
        context.close()
