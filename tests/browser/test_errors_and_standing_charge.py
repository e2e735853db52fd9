"""In real Chromium at 390x844: every problem of a submit shown beside its field, and a
standing charge entered on a rate page that the summary and `POST /prices` report."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.test_hosted_flow import (
    PLAIN_PROVIDER,
    choose_provider,
    finish,
    name_and_contract,
    next_page,
    open_flow,
)

pytestmark = pytest.mark.e2e


def error_beside(phone, field):
    """The error shown beside `field`, which the field names as describing it."""
    described = phone.page.locator(f"#{field}").get_attribute("aria-describedby") or ""
    assert f"{field}-error" in described.split()
    assert phone.page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
    return " ".join(phone.page.locator(f"#{field}-error").text_content().split())


def test_a_day_and_night_page_with_two_problems_shows_both(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, PLAIN_PROVIDER)
    page = phone.page
    page.get_by_label("Day and night rates", exact=True).check()
    next_page(phone, "tariff_structure_select")
    page.get_by_label("Day rate (p/kWh)", exact=True).fill("-5")
    page.get_by_label("Night rate (p/kWh)", exact=True).fill("0")
    next_page(phone, "rate_tod_capture")
    phone.shot("rate_tod_capture-two-problems")
    assert error_beside(phone, "day_cost") == "Error: The price cannot be negative."
    assert error_beside(phone, "night_cost") == "Error: The price must be more than 0."
    assert page.locator(".error-message").count() == 2
    links = page.get_by_role("alert").get_by_role("link")
    assert links.all_inner_texts() == [
        "The price cannot be negative.",
        "The price must be more than 0.",
    ]
    # What was typed stays, and once corrected the flow goes on.
    assert page.get_by_label("Day rate (p/kWh)", exact=True).input_value() == "-5"
    page.get_by_label("Day rate (p/kWh)", exact=True).fill("30")
    page.get_by_label("Night rate (p/kWh)", exact=True).fill("8.5")
    next_page(phone, "rate_tod_capture-corrected")
    name_and_contract(phone, "Day and night")
    tariff = finish(phone, live, token)
    assert tariff["standing_charge"] is None


def test_a_fixed_rate_with_a_standing_charge(phone, live):
    token = open_flow(phone, live)
    choose_provider(phone, PLAIN_PROVIDER)
    page = phone.page
    page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "tariff_structure_select")
    page.get_by_label("Price per kWh (p/kWh)", exact=True).fill("24,5")
    charge = page.get_by_label("Standing charge per day (p) (optional)", exact=True)
    charge.fill("53,5")
    next_page(phone, "rate_fixed_capture")
    name_and_contract(phone, "Fixed with a charge")
    row = page.locator(".details-row", has_text="Standing charge")
    assert row.inner_text().split("\n") == ["Standing charge", "53.5\u00a0p per day"]
    tariff = finish(phone, live, token)
    assert tariff["standing_charge"] == {"value": 0.535, "unit": "per_day"}
    window = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-02T00:00:00Z"}
    response = httpx.post(
        f"{live.base}/prices/{tariff['location_id']}", json=window, headers=live.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["standing_charge"] == {"value": 0.535, "unit": "per_day"}
