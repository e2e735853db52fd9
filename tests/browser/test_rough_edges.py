"""Issue 14's rough edges, each shown in real Chromium at 390x844: price levels by the
tariff's own prices, times by the location's country, the typed provider name kept, regulated
utilities asked for no contract and described by structure, and library tariffs listed with
their rates and hours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS, PHONE, Phone
from tests.connect.flow.flow import LONDON, make_location, make_session
from tests.connect.flow.test_rough_edges import SAN_FRANCISCO

pytestmark = pytest.mark.e2e

BERLIN = {
    "address_line1": "Unter den Linden 1",
    "city": "Berlin",
    "post_code": "10117",
    "country_code": "DE",
}
NIGHT_AND_DAY = [
    {"valid_from": "07:00:00", "valid_to": "23:00:00", "rate": [{"fixed": 0.3}]},
    {"valid_from": "23:00:00", "valid_to": "07:00:00", "rate": [{"fixed": 0.1}]},
]
# Three prices a day, as Octopus Flux's import side has them.
FLUX_LIKE = [
    {"valid_from": "02:00:00", "valid_to": "05:00:00", "rate": [{"fixed": 0.2011}]},
    {"valid_from": "05:00:00", "valid_to": "16:00:00", "rate": [{"fixed": 0.3352}]},
    {"valid_from": "16:00:00", "valid_to": "19:00:00", "rate": [{"fixed": 0.4693}]},
    {"valid_from": "19:00:00", "valid_to": "02:00:00", "rate": [{"fixed": 0.3352}]},
]
PGE = "Pacific Gas and Electric Company"
PGE_TOU_C = "PG&E E-TOU-C (Peak Pricing 4-9 p.m. Every Day)"


@contextmanager
def phone_in(chromium: Any, locale: str, name: str) -> Iterator[Phone]:
    """A phone whose browser asks for `locale` (the shared fixture's asks for en-GB)."""
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = chromium.new_context(locale=locale, **PHONE)
    context.set_default_timeout(15_000)
    try:
        yield Phone(context.new_page(), folder)
    finally:
        context.close()


def open_flow(phone: Phone, live: Any, address: dict[str, str], hours=None) -> str:
    """A location at `address` (with a day/night tariff of `hours` made through the API, so
    the session opens on its summary) and its Connect page."""
    with httpx.Client(base_url=live.base) as client:
        location_id = make_location(client, live.headers, address)
        if hours is not None:
            schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}]
            body = {"location_id": location_id, "display_name": "Night saver", "schedule": schedule}
            made = client.post("/tariffs", json=body, headers=live.headers)
            assert made.status_code == 201, made.text
        token = make_session(
            client, live.headers, location_id=location_id, callback_url=live.callback
        )
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    return token


def press(phone: Phone, name: str, button: str = "Continue") -> None:
    phone.shot(name)
    phone.page.get_by_role("button", name=button, exact=True).click()
    phone.page.wait_for_load_state()


def heading(phone: Phone) -> str:
    return phone.page.get_by_role("heading", level=1).inner_text()


def today_rows(phone: Phone) -> list[tuple[str, ...]]:
    rows = phone.page.locator("#day-today ~ table.rates tbody tr")
    return [tuple(row.locator("td").all_inner_texts()) for row in rows.all()]


def axis_labels(phone: Phone) -> list[str]:
    return phone.page.locator("#chart-today text.axis-label").all_text_contents()


def details(phone: Phone) -> dict[str, str]:
    rows = phone.page.locator("dl.details .details-row")
    return {row.locator("dt").inner_text(): row.locator("dd").inner_text() for row in rows.all()}


def hint_of(phone: Phone, label: str) -> str:
    described = phone.page.get_by_label(label, exact=True).get_attribute("aria-describedby")
    return phone.page.locator(f"#{described}").inner_text()


def test_a_day_night_tariff_in_england_is_low_and_high_in_24_hour_times(phone, live):
    open_flow(phone, live, LONDON, NIGHT_AND_DAY)
    assert heading(phone) == "Tariff summary"
    phone.shot("tariff_summary")
    assert details(phone)["Type"] == "Day and night rates"
    assert today_rows(phone) == [
        ("00:00\u201307:00", "10\u00a0p/kWh", "Low"),
        ("07:00\u201323:00", "30\u00a0p/kWh", "High"),
        ("23:00\u201300:00", "10\u00a0p/kWh", "Low"),
    ]
    assert axis_labels(phone) == ["00:00", "06:00", "12:00", "18:00"]
    chart = phone.page.locator("#chart-today")
    assert chart.locator("rect.bar-low").count() == 8
    assert chart.locator("rect.bar-high").count() == 16
    assert chart.locator("rect.bar-medium").count() == 0


def test_a_three_price_day_is_low_medium_and_high(phone, live):
    open_flow(phone, live, LONDON, FLUX_LIKE)
    assert heading(phone) == "Tariff summary"
    phone.shot("tariff_summary")
    assert details(phone)["Type"] == "Time-of-use rates"
    assert today_rows(phone) == [
        ("00:00\u201302:00", "33.52\u00a0p/kWh", "Medium"),
        ("02:00\u201305:00", "20.11\u00a0p/kWh", "Low"),
        ("05:00\u201316:00", "33.52\u00a0p/kWh", "Medium"),
        ("16:00\u201319:00", "46.93\u00a0p/kWh", "High"),
        ("19:00\u201300:00", "33.52\u00a0p/kWh", "Medium"),
    ]


def test_a_us_location_in_english_has_12_hour_times(chromium, live):
    with phone_in(chromium, "en-US", "test_a_us_location_in_english_has_12_hour_times") as phone:
        open_flow(phone, live, SAN_FRANCISCO, NIGHT_AND_DAY)
        phone.shot("tariff_summary")
        assert today_rows(phone) == [
            ("12:00 AM\u20137:00 AM", "10\u00a0¢/kWh", "Low"),
            ("7:00 AM\u201311:00 PM", "30\u00a0¢/kWh", "High"),
            ("11:00 PM\u201312:00 AM", "10\u00a0¢/kWh", "Low"),
        ]
        assert axis_labels(phone) == ["12:00 AM", "6:00 AM", "12:00 PM", "6:00 PM"]


def test_a_german_location_in_german_has_24_hour_times(chromium, live):
    with phone_in(chromium, "de-DE", "test_a_german_location_in_german_has_24_hour_times") as phone:
        open_flow(phone, live, BERLIN, NIGHT_AND_DAY)
        assert heading(phone) == "Tarifübersicht"
        phone.shot("tariff_summary")
        assert details(phone)["Art"] == "Tag- und Nachtpreis"
        assert today_rows(phone) == [
            ("00:00\u201307:00", "10\u00a0ct/kWh", "Niedrig"),
            ("07:00\u201323:00", "30\u00a0ct/kWh", "Hoch"),
            ("23:00\u201300:00", "10\u00a0ct/kWh", "Niedrig"),
        ]


def test_the_typed_provider_name_is_kept_on_the_summary(phone, live):
    token = open_flow(phone, live, LONDON)
    page = phone.page
    press(phone, "provider_select", button="My provider is not listed")
    page.get_by_label("Name of your energy provider", exact=True).fill("Local Co")
    press(phone, "provider_name_capture")
    page.get_by_label("Fixed rate", exact=True).check()
    press(phone, "tariff_structure_select")
    page.get_by_label("Price per kWh (p/kWh)", exact=True).fill("24,5")
    press(phone, "rate_fixed_capture")
    assert page.get_by_label("Tariff name", exact=True).input_value() == "Local Co fixed rate"
    press(phone, "tariff_name_capture")
    press(phone, "contract_term_capture", button="Skip \u2013 until terminated")
    assert heading(phone) == "Tariff summary"
    assert page.locator(".provider-caption").inner_text() == "Local Co"
    press(phone, "tariff_summary", button="Done")
    page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    # A later session of the same location opens on the summary, which still names it.
    session = live.get(f"/connect/{token}")
    with httpx.Client(base_url=live.base) as client:
        later = make_session(
            client, live.headers, location_id=session["location_id"], callback_url=live.callback
        )
    page.goto(f"{live.base}/connect/web?fp_cot={later}")
    assert heading(phone) == "Tariff summary"
    phone.shot("tariff_summary-later")
    assert page.locator(".provider-caption").inner_text() == "Local Co"


def test_a_regulated_utility_is_asked_no_contract_and_its_peak_is_time_of_use(chromium, live):
    name = "test_a_regulated_utility_is_asked_no_contract_and_its_peak_is_time_of_use"
    with phone_in(chromium, "en-US", name) as phone:
        open_flow(phone, live, SAN_FRANCISCO)
        phone.page.get_by_label(PGE, exact=True).check()
        press(phone, "provider_select")
        assert heading(phone) == "Choose your tariff"
        assert hint_of(phone, PGE_TOU_C) == (
            "44.10\u00a0¢ 4:00 PM\u20139:00 PM, 31.80\u00a0¢ otherwise; "
            "other rates on some days or months"
        )
        phone.page.get_by_label(PGE_TOU_C, exact=True).check()
        press(phone, "tariff_select")
        # No contract page: the summary follows the tariff.
        assert heading(phone) == "Tariff summary"
        phone.shot("tariff_summary")
        shown = details(phone)
        assert (shown["Type"], shown["Contract ends"]) == ("Time-of-use rates", "Until terminated")
        assert today_rows(phone)[0][0].startswith("12:00 AM\u2013")


def test_library_tariffs_show_their_rates_and_hours(phone, live):
    open_flow(phone, live, LONDON)
    phone.page.get_by_label("E.ON Next", exact=True).check()
    press(phone, "provider_select")
    phone.shot("tariff_select")
    assert (
        hint_of(phone, "E.ON Next Drive") == "9.50\u00a0p 00:00\u201306:00, 28.00\u00a0p otherwise"
    )
    assert hint_of(phone, "E.ON Next Flex (Economy 7)") == (
        "17.181\u00a0p 00:30\u201307:30, 32.55\u00a0p otherwise"
    )


def test_library_tariffs_in_german(chromium, live):
    with phone_in(chromium, "de-DE", "test_library_tariffs_in_german") as phone:
        open_flow(phone, live, BERLIN)
        phone.page.get_by_label("Vattenfall", exact=True).check()
        press(phone, "provider_select", button="Weiter")
        phone.shot("tariff_select")
        name = "Vattenfall Berlin Basis Privatstrom (Grundversorgung)"
        assert hint_of(phone, name) == "44,39\u00a0ct/kWh ganztägig"
