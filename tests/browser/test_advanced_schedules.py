"""Advanced schedules through the hosted page `advanced_tariff_capture`, in real Chromium at
a phone's size: two seasons, a weekend rule and a tier, a mistake named by its month, day
type and time, then connected."""

from __future__ import annotations

import httpx
import pytest

from tariffconnect.connect.web import advanced_form, forms
from tests.browser.test_hosted_flow import (
    LONDON,
    PLAIN_PROVIDER,
    choose_provider,
    finish,
    heading,
    name_and_contract,
    next_page,
)
from tests.connect.flow.flow import make_location, make_session

pytestmark = pytest.mark.e2e


def open_advanced_flow(phone, live):
    """A session whose token enables the advanced page, opened in the phone."""
    with httpx.Client(base_url=live.base) as client:
        body = {
            "location_id": make_location(client, live.headers, LONDON),
            "connect_url": "https://app.example.com/connect",
            "callback_url": live.callback,
            "route_options": {"advanced_tariff_capture": True},
        }
        response = client.post("/connect/sessions", json=body, headers=live.headers)
        assert response.status_code == 200, response.text
        token = response.json()["connect_token"]
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    return token


def season(page, index, first, last, *days):
    """Season `index` (opened, unless it is the first, which opens by itself) from month
    `first` to `last`, with the day types labelled `days` opened too."""
    box = page.locator("details.season").nth(index)
    if index:
        box.locator("summary").first.click()
    page.locator(f"#s{index}_from").select_option(first)
    page.locator(f"#s{index}_to").select_option(last)
    for day in days:
        box.get_by_text(day, exact=True).click()


def fill_window(page, name, start, end, rate, kwh="", above=""):
    page.locator(f"#{name}_from").fill(start)
    page.locator(f"#{name}_to").fill(end)
    page.locator(f"#{name}_rate").fill(rate)
    page.locator(f"#{name}_kwh").fill(kwh)
    page.locator(f"#{name}_above").fill(above)


def test_two_seasons_with_a_weekend_rule_and_a_mistake_corrected(phone, live):
    token = open_advanced_flow(phone, live)
    page = phone.page
    choose_provider(phone, PLAIN_PROVIDER)
    page.get_by_label("Seasons, weekdays and tiers", exact=True).check()
    next_page(phone, "tariff_structure_select")
    assert heading(phone) == "Your tariff's seasons and times"
    # The grid's fields are exactly those forms.py reads.
    names = page.eval_on_selector_all("form.step-form [name]", "els => els.map(e => e.name)")
    assert sorted(names) == sorted(
        {*advanced_form.ADVANCED_FIELDS, forms.ROUTE_FIELD, forms.CSRF_FIELD}
    )
    # Season 1 opens with the whole year; the rest are folded.
    assert page.locator("#s0_from").input_value() == "Jan"
    assert page.locator("#s0_to").input_value() == "Dec"
    assert not page.locator("#s1_from").is_visible()

    season(page, 0, "Apr", "Sep", "Weekdays", "Weekend")
    fill_window(page, "s0_weekdays_0", "07:00", "23:00", "30")
    fill_window(page, "s0_weekdays_1", "23:00", "07:00", "10")
    fill_window(page, "s0_weekend_0", "00:00", "00:00", "15")
    season(page, 1, "Oct", "Mar", "All days")
    fill_window(page, "s1_all_0", "19:00", "16:00", "25", kwh="10", above="30")
    fill_window(page, "s1_all_1", "16:00", "19:00", "")  # the peak's rate forgotten
    next_page(phone, "advanced_tariff_capture")

    message = "Oct-Mar, All days, 16:00-19:00: the rate is missing."
    alert = page.get_by_role("alert")
    assert alert.locator("li").all_inner_texts() == [message]
    assert alert.get_by_role("link").get_attribute("href") == "#s1_all_1_rate"
    assert page.locator("#s1_all_1_rate-error").text_content() == f"Error: {message}"
    assert page.locator("#s1_all_1_rate").get_attribute("aria-invalid") == "true"
    # What was typed is kept, and the sections with it are open.
    assert page.locator("#s0_weekend_0_rate").input_value() == "15"
    assert page.locator("#s1_all_0_kwh").input_value() == "10"
    assert page.locator("#s1_all_1_rate").is_visible()
    # At 390 px: nothing wider than the screen, a window's start and end side by side.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    starts, ends = (page.locator(f"#s1_all_1_{part}").bounding_box() for part in ("from", "to"))
    assert starts["y"] == ends["y"] and starts["x"] + starts["width"] <= ends["x"]
    phone.shot("advanced_tariff_capture-error")

    page.locator("#s1_all_1_rate").fill("35")
    next_page(phone, "advanced_tariff_capture-fixed")
    name_and_contract(phone, "Seasons")
    tariff = finish(phone, live, token)
    assert tariff["connection_type"] == "MANUAL"
    summer, winter = tariff["schedule"]
    assert summer["months"] == ["Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    assert [
        (r["days"], [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in r["hours"]])
        for r in summer["days_and_hours"]
    ] == [
        (["Weekdays"], [("07:00:00", "23:00:00", 0.3), ("23:00:00", "07:00:00", 0.1)]),
        (["Weekend"], [("00:00:00", "00:00:00", 0.15)]),
    ]
    assert winter["months"] == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    [rule] = winter["days_and_hours"]
    assert rule["days"] == ["All"]
    tiered, peak = rule["hours"]
    assert [(t["fixed"], t["to_kwh"]) for t in tiered["rate"]] == [(0.25, 10.0), (0.3, None)]
    assert (peak["valid_from"], peak["valid_to"], peak["rate"][0]["fixed"]) == (
        "16:00:00",
        "19:00:00",
        0.35,
    )


def test_a_mistake_is_named_in_german_too(phone, live):
    token = open_advanced_flow(phone, live)
    page = phone.page
    page.goto(f"{live.base}/connect/web?fp_cot={token}&lang=de")
    page.get_by_label(PLAIN_PROVIDER, exact=True).check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Saisons, Wochentage und Stufen", exact=True).check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    season(page, 0, "Mar", "Oct", "Wochenende", "Alle Tage")
    fill_window(page, "s0_weekend_0", "00:00", "16:00", "20")
    fill_window(page, "s0_weekend_1", "19:00", "00:00", "20")
    fill_window(page, "s0_all_0", "00:00", "00:00", "25")
    season(page, 1, "Nov", "Feb", "Alle Tage")
    fill_window(page, "s1_all_0", "00:00", "00:00", "25")
    next_page(phone, "advanced_tariff_capture-de", button="Weiter")
    message = "Mär-Okt, Wochenende, 16:00-19:00: Für diese Zeit ist kein Preis angegeben."
    assert page.get_by_role("alert").locator("li").all_inner_texts() == [message]
    assert page.locator("#s0_weekend_0_from-error").text_content() == f"Fehler: {message}"


def test_a_season_without_its_months_is_named_at_its_month_field(phone, live):
    open_advanced_flow(phone, live)
    page = phone.page
    choose_provider(phone, PLAIN_PROVIDER)
    page.get_by_label("Seasons, weekdays and tiers", exact=True).check()
    next_page(phone, "tariff_structure_select")
    season(page, 0, "Jan", "Dec", "All days")
    fill_window(page, "s0_all_0", "00:00", "00:00", "25")
    page.locator("details.season").nth(1).locator("summary").first.click()
    page.locator("details.season").nth(1).get_by_text("Weekend", exact=True).click()
    fill_window(page, "s1_weekend_0", "00:00", "00:00", "12,5")
    next_page(phone, "advanced_tariff_capture-months")
    message = "Choose the first and last month of season 2."
    assert page.get_by_role("alert").locator("li").all_inner_texts() == [message]
    assert page.locator("#s1_from-error").text_content() == f"Error: {message}"
    assert page.locator("#s1_weekend_0_rate").input_value() == "12,5"


def test_only_the_grid_may_post_more_than_fifty_fields(live):
    with httpx.Client(base_url=live.base) as client:
        token = make_session(client, live.headers, LONDON, callback_url=live.callback)
        fields = {f"field{n}": "x" for n in range(60)}
        other = {**fields, forms.ROUTE_FIELD: "tariff_structure_select"}
        refused = client.post(f"/connect/web?fp_cot={token}", data=other)
        assert refused.status_code == 400
        assert "This form could not be read. Reload the page and try again." in refused.text
        # The grid's route gets as far as the CSRF check (this post has no token).
        grid = {**fields, forms.ROUTE_FIELD: advanced_form.ADVANCED_ROUTE}
        assert client.post(f"/connect/web?fp_cot={token}", data=grid).status_code == 403
