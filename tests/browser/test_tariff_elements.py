"""Issue 14, "Done when": one location gets an import, an export and a grid-fee tariff
through the hosted pages (three sessions from POST /connect, one per tariff element), in
real Chromium at 390x844; then POST /prices prices each element with its exact rates."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.test_hosted_flow import (
    LONDON,
    PLAIN_PROVIDER,
    choose_provider,
    heading,
    name_and_contract,
    next_page,
)
from tests.connect.flow.flow import make_location, make_session

pytestmark = pytest.mark.e2e

# A summer day in London (BST).
DAY = {"start_time": "2026-06-01T00:00:00+01:00", "end_time": "2026-06-02T00:00:00+01:00"}


def open_session(phone, live, location_id, **options):
    """A session for the location with these element options, opened in the phone."""
    with httpx.Client(base_url=live.base) as client:
        token = make_session(
            client,
            live.headers,
            location_id=location_id,
            callback_url=live.callback,
            options=options,
        )
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    return token


def back_in_the_app(phone, live, token, summary_heading, shot):
    """Done on the summary, headed for this element, lands on the app's callback."""
    assert heading(phone) == summary_heading
    next_page(phone, shot, button="Done")
    phone.page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    assert parse_qs(urlsplit(phone.page.url).query) == {"app": ["demo"], "fp_cot": [token]}
    session = live.get(f"/connect/{token}")
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
    return session


def prices(live, location_id, **extra):
    body = {"location_id": location_id, **DAY, **extra}
    response = httpx.post(f"{live.base}/prices", json=body, headers=live.headers)
    assert response.status_code == 200, response.text
    return [(d["valid_from"][11:16], d["price"]["value"]) for d in response.json()["data"]]


def test_import_export_and_grid_fees_on_one_location(phone, live):
    with httpx.Client(base_url=live.base) as client:
        location_id = make_location(client, live.headers, LONDON)
    page = phone.page

    # 1. The import energy price, as before.
    token = open_session(phone, live, location_id)
    choose_provider(phone, PLAIN_PROVIDER)
    assert heading(phone) == "How is your tariff priced?"
    page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "import-structure")
    assert heading(phone) == "Your electricity price"
    page.get_by_label("Price per kWh (p/kWh)", exact=True).fill("24,5")
    next_page(phone, "import-rate")
    name_and_contract(phone, "Home import")
    assert page.get_by_role("heading", name="Your price", exact=True).is_visible()
    back_in_the_app(phone, live, token, "Tariff summary", "import-summary")

    # 2. Export: what the customer is paid, in export wording.
    token = open_session(
        phone, live, location_id, tariff_type="COMMODITY", tariff_direction="EXPORT"
    )
    choose_provider(phone, PLAIN_PROVIDER)
    assert heading(phone) == "How is your export tariff paid?"
    assert page.get_by_label("Market price", exact=True).is_visible()
    page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "export-structure")
    assert heading(phone) == "What you are paid for exported energy"
    page.get_by_label("What you are paid per kWh (p/kWh)", exact=True).fill("15")
    next_page(phone, "export-rate")
    name_and_contract(phone, "Solar export")
    paid = page.get_by_role("heading", name="What you are paid per kWh", exact=True)
    assert paid.is_visible()
    back_in_the_app(phone, live, token, "Export tariff summary", "export-summary")

    # 3. Grid fees: day and night per kWh, no market price offered.
    token = open_session(
        phone, live, location_id, tariff_type="NON_COMMODITY", tariff_direction="IMPORT"
    )
    choose_provider(phone, PLAIN_PROVIDER)
    assert heading(phone) == "How are your grid fees charged?"
    assert page.get_by_label("Market price", exact=True).count() == 0
    page.get_by_label("Day and night rates", exact=True).check()
    next_page(phone, "grid-structure")
    assert heading(phone) == "Your day and night grid fees"
    page.get_by_label("Day starts", exact=True).fill("07:00")
    page.get_by_label("Day ends", exact=True).fill("23:00")
    page.get_by_label("Day rate (p/kWh)", exact=True).fill("8")
    page.get_by_label("Night starts", exact=True).fill("23:00")
    page.get_by_label("Night ends", exact=True).fill("07:00")
    page.get_by_label("Night rate (p/kWh)", exact=True).fill("3")
    next_page(phone, "grid-rates")
    name_and_contract(phone, "Network charges")
    back_in_the_app(phone, live, token, "Grid fees summary", "grid-summary")

    tariffs = live.get("/tariffs", location_id=location_id)["data"]
    assert sorted(
        (t["display_name"], t["tariff_type"], t["tariff_direction"], t["status"]) for t in tariffs
    ) == [
        ("Home import", "COMMODITY", "IMPORT", "CONNECTED"),
        ("Network charges", "NON_COMMODITY", "IMPORT", "CONNECTED"),
        ("Solar export", "COMMODITY", "EXPORT", "CONNECTED"),
    ]
    assert prices(live, location_id, tariff_direction="EXPORT") == [("00:00", 0.15)]
    # Import: the energy price plus the grid fee of each hour.
    assert prices(live, location_id) == [("00:00", 0.275), ("07:00", 0.325), ("23:00", 0.275)]


def test_an_export_session_replaces_the_export_tariff_only(phone, live):
    with httpx.Client(base_url=live.base) as client:
        location_id = make_location(client, live.headers, LONDON)
        for body in (
            {"display_name": "Import", "rate": 0.3},
            {"display_name": "Old export", "rate": 0.05, "tariff_direction": "EXPORT"},
        ):
            rate = body.pop("rate")
            hours = [{"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [{"fixed": rate}]}]
            schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}]
            created = client.post(
                "/tariffs",
                json={"location_id": location_id, "schedule": schedule, **body},
                headers=live.headers,
            )
            assert created.status_code == 201, created.text
    token = open_session(phone, live, location_id, tariff_direction="EXPORT")
    page = phone.page
    # The location's export tariff opens: edit it.
    assert heading(phone) == "Export tariff summary"
    assert "Old export" in page.locator("main").inner_text()
    next_page(phone, "old-export-summary", button="Edit")
    choose_provider(phone, PLAIN_PROVIDER)
    page.get_by_label("Fixed rate", exact=True).check()
    next_page(phone, "export-structure")
    page.get_by_label("What you are paid per kWh (p/kWh)", exact=True).fill("12")
    next_page(phone, "export-rate")
    name_and_contract(phone, "New export")
    back_in_the_app(phone, live, token, "Export tariff summary", "new-export-summary")
    tariffs = live.get("/tariffs", location_id=location_id)["data"]
    assert sorted((t["display_name"], t["status"]) for t in tariffs) == [
        ("Import", "CONNECTED"),
        ("New export", "CONNECTED"),
        ("Old export", "REPLACED"),
    ]
    assert prices(live, location_id) == [("00:00", 0.3)]
    assert prices(live, location_id, tariff_direction="EXPORT") == [("00:00", 0.12)]
