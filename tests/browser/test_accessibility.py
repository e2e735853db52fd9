"""Accessibility of the hosted Connect pages, in real Chromium at a phone's size.

axe-core (pinned in tests/browser/axe/package.json, installed by scripts/install-axe) runs
over every page the hosted flow can show: each step, steps with field errors, the summaries,
the error pages, the link back to the app and the demo callback. No violation of impact
"serious" or "critical" is allowed; the assertion names each rule, its impact and its nodes.

Then a whole flow is completed with the keyboard alone (Tab, Shift+Tab, arrows, Space, Enter
and typing; nothing is clicked or filled), checking at every stop that the focus is visible,
and that a refused submit puts the focus on the first field in error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tariffconnect.providers import catalogue
from tests.browser.conftest import PHONE, Phone
from tests.browser.test_advanced_schedules import fill_window, open_advanced_flow, season
from tests.browser.test_hosted_flow import LIBRARY_PROVIDER, LONDON, PLAIN_PROVIDER, open_flow
from tests.browser.test_tariff_elements import open_session
from tests.connect.flow.flow import make_location, make_session, plain_provider

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices: axe's default set plus the rules
# it leaves off by default, such as WCAG 2.2's target size (24 px) on a phone.
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Italy has seven market zones, and a post code that names no province tells none of them:
# the market path asks for the region.
MILAN = {
    "address_line1": "Via Dante 1",
    "city": "Milano",
    "post_code": "centro",
    "country_code": "IT",
}
NEXT_YEAR = datetime.now(UTC).year + 1
SKIP = "Skip \N{EN DASH} until terminated"  # the contract page's second button


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """axe.min.js. Missing, it fails the test as a missing Chromium does (and always under CI)."""
    if not AXE.is_file():
        under_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
        if os.environ.get("TARIFFCONNECT_SKIP_BROWSER_TESTS") == "1" and not under_ci:
            pytest.skip("axe-core is not installed and browser tests were skipped on request")
        pytest.fail(f"{AXE} is missing: run scripts/install-axe (`make axe`; it needs npm)")
    return AXE


class Auditor:
    """A phone whose every page shown is checked by axe; what it finds is kept by page."""

    def __init__(self, phone: Phone, axe: Path) -> None:
        self.phone = phone
        self.page = phone.page
        self.axe = axe
        self.audited: list[str] = []
        self.problems: dict[str, list[str]] = {}

    def check(self, name: str, heading: str) -> None:
        """Audit the page shown, which must be the one headed `heading`."""
        assert self.page.get_by_role("heading", level=1).inner_text() == heading, name
        self.phone.shot(name)
        self.page.add_script_tag(path=str(self.axe))
        violations = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})).violations",
            RULES,
        )
        self.audited.append(name)
        found = [describe(v) for v in violations if v["impact"] in BLOCKING]
        if found:
            self.problems[name] = found

    def focused_id(self) -> str:
        """The id of the element the page focused. Chromium runs `autofocus` at a rendering
        opportunity after the load, not at it: wait (up to 5 s) for the focus to leave the
        body, so a busy machine reads the focus, not the moment before it."""
        self.page.wait_for_function(
            "() => document.activeElement && document.activeElement !== document.body",
            timeout=5_000,
        )
        return str(self.page.evaluate("() => document.activeElement.id"))

    def answer(
        self,
        name: str,
        heading: str,
        *,
        fill: dict[str, str] | None = None,
        choose: str = "",
        press: str = "Continue",
    ) -> None:
        """Audit the page headed `heading` (only check its heading when `name` is empty), then
        answer it: `fill` fields and `choose` a radio (by their labels), and `press` a button
        (none when empty)."""
        if name:
            self.check(name, heading)
        else:
            assert self.page.get_by_role("heading", level=1).inner_text() == heading
        for label, value in (fill or {}).items():
            self.page.get_by_label(label, exact=True).fill(value)
        if choose:
            self.page.get_by_label(choose, exact=True).check()
        if press:
            self.page.get_by_role("button", name=press, exact=True).click()
            self.page.wait_for_load_state()


def describe(violation: dict[str, Any]) -> str:
    nodes = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
    return f"{violation['id']} ({violation['impact']}): {nodes}"


@pytest.fixture
def auditor(chromium: Any, axe_script: Path, phone: Phone) -> Iterator[Auditor]:
    """Like `phone` (and saving its screenshots in the same folder), in a context that lets the
    test inject axe: the pages' Content-Security-Policy allows no script at all."""
    context = chromium.new_context(locale="en-GB", bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    try:
        yield Auditor(Phone(context.new_page(), phone.folder), axe_script)
    finally:
        context.close()


def test_every_manual_page_has_no_serious_violation(auditor, live):
    token = open_flow(auditor, live, LONDON)
    ask = auditor.answer
    ask("provider_select", "Choose your energy provider", press="Change address")
    empty = {"Address line 1": "", "Town or city": ""}
    ask("postal_address_capture", "Your address", fill=empty)
    again = {"Address line 1": LONDON["address_line1"], "Town or city": LONDON["city"]}
    assert auditor.focused_id() == "address_line1"
    ask("postal_address_capture-errors", "Your address", fill=again)
    ask("", "Choose your energy provider", press="My provider is not listed")
    ask("provider_name_capture", "Your energy provider")
    name = {"Name of your energy provider": PLAIN_PROVIDER}
    assert auditor.focused_id() == "provider_name"
    ask("provider_name_capture-errors", "Your energy provider", fill=name)
    ask("tariff_structure_select", "How is your tariff priced?", choose="Fixed rate")
    ask("rate_fixed_capture", "Your electricity price", press="Back")
    ask("", "How is your tariff priced?", choose="Day and night rates")
    # 23:30 leaves 23:00-23:30 uncovered.
    rates = {"Day rate (p/kWh)": "30", "Night starts": "23:30", "Night rate (p/kWh)": "8.5"}
    ask("rate_tod_capture", "Your day and night rates", fill=rates)
    assert auditor.focused_id() == "day_to"  # the period before the gap
    ask("rate_tod_capture-errors", "Your day and night rates", fill={"Night starts": "23:00"})
    ask("tariff_name_capture", "Name your tariff", fill={"Tariff name": "Day and night"})
    end = {"Contract end date": f"{NEXT_YEAR}-09-30"}
    ask("contract_term_capture", "When does your contract end?", fill=end)
    ask("tariff_summary", "Tariff summary", press="Done")
    auditor.page.wait_for_url(re.compile(r".*fp_cot="))
    auditor.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    auditor.check("tariff_summary-read_only", "Tariff summary")
    auditor.page.goto(f"{live.base}/connect/web/done?fp_cot={token}")
    auditor.check("done", "You are back in the app")
    assert len(auditor.audited) == 14
    assert auditor.problems == {}


def test_library_and_market_pages_have_no_serious_violation(auditor, live):
    ask = auditor.answer
    open_flow(auditor, live, LONDON)
    ask("", "Choose your energy provider", choose=LIBRARY_PROVIDER)
    ask("tariff_select", "Choose your tariff", choose="E.ON Next Drive")
    ask("", "When does your contract end?", press=SKIP)
    auditor.check("tariff_summary-library", "Tariff summary")

    open_flow(auditor, live, MILAN)
    provider = catalogue.get(plain_provider("IT"))
    assert provider is not None
    ask("", "Choose your energy provider", choose=provider.display_name)
    ask("", "How is your tariff priced?", choose="Market price")
    ask("region_select", "Choose your region")
    ask("region_select-errors", "Choose your region", press="")
    assert auditor.focused_id() == "region-0"
    auditor.page.locator("input[name=region]").first.check()
    ask("", "Choose your region")
    percentage = "Percentage surcharge (%) (optional)"
    ask("surcharge_capture", "Surcharges on the market price", fill={percentage: "five"})
    surcharges = {percentage: "5"}
    assert auditor.focused_id() == "surcharge_percentage"
    ask("surcharge_capture-errors", "Surcharges on the market price", fill=surcharges)
    ask("", "Name your tariff", fill={"Tariff name": "Market"})
    ask("", "When does your contract end?", press=SKIP)
    auditor.check("tariff_summary-market", "Tariff summary")
    assert len(auditor.audited) == 7
    assert auditor.problems == {}


def test_error_and_return_pages_have_no_serious_violation(auditor, live):
    page = auditor.page
    page.goto(f"{live.base}/connect/web?fp_cot=cot_000000000000000000000000")
    auditor.check("error-404", "This link is not valid")
    open_flow(auditor, live, LONDON)
    # Without its cookie the form's CSRF token no longer verifies: the 403 page.
    page.context.clear_cookies()
    auditor.answer("", "Choose your energy provider")
    auditor.check("error-403", "This form expired")
    # A callback the page's policy cannot name: the last page links back to the app.
    with httpx.Client(base_url=live.base) as client:
        token = make_session(client, live.headers, LONDON, callback_url="https://bücher.example/x")
    page.goto(f"{live.base}/connect/web?fp_cot={token}")
    auditor.answer("", "Choose your energy provider", press="Close")
    auditor.check("session_redirect", "Return to the app")
    assert len(auditor.audited) == 3
    assert auditor.problems == {}


# --- the keyboard alone ----------------------------------------------------------------------

# What has the focus: enough to find an element and to tell whether its focus is visible: an
# outline or a box shadow drawn while it matches :focus-visible, or while the focus is on one
# of its own parts (a time field's picker button), where only :focus-within matches.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const ring = outline || style.boxShadow !== "none";
  const onItsParts = e.matches(":focus-within") && !e.matches(":focus");
  return {
    id: e.id,
    label: e.labels && e.labels.length ? e.labels[0].innerText.trim() : "",
    text: e.tagName === "BUTTON" ? e.innerText.trim() : "",
    value: "value" in e ? e.value : null,
    visible: (e.matches(":focus-visible") || onItsParts) && ring,
  };
}"""


class Keyboard:
    """Drives a page with page.keyboard only; reads the page to know where the focus is."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.page = phone.page

    def focused(self) -> dict[str, Any]:
        return dict(self.page.evaluate(FOCUSED))

    def tab_to(self, *, field: str = "", button: str = "", back: bool = False) -> None:
        """Tab (Shift+Tab when `back`) until the field with id `field`, or the button labelled
        `button`, has the focus; the focus must be visible at every stop on the way."""
        for _ in range(40):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            now = self.focused()
            assert now["visible"], f"the focus is not visible on {now}"
            if (field and now["id"] == field) or (button and now["text"] == button):
                return
        raise AssertionError(f"Tab never reached {field or button!r}")

    def replace(self, text: str) -> None:
        """Type `text` over what the focused field holds."""
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Backspace")
        if text:
            self.page.keyboard.type(text)

    def choose(self, field: str, label: str) -> None:
        """Tab into the radio group `field` and arrow down to the option labelled `label`."""
        self.tab_to(field=f"{field}-0")
        for _ in range(40):
            if self.focused()["label"] == label:
                self.page.keyboard.press("Space")
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"no option {label!r} in {field}")

    def submit(self, name: str, heading: str, key: str = "Enter") -> None:
        """Press `key` on what has the focus; the page that follows is headed `heading`."""
        self.phone.shot(name)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        assert self.page.get_by_role("heading", level=1).inner_text() == heading


def test_a_whole_flow_with_the_keyboard_alone(phone, live):
    token = open_flow(phone, live)
    keys = Keyboard(phone)
    keys.tab_to(button="Change address")
    keys.submit("provider_select", "Your address", key="Space")

    # A refused submit: the error summary, and the focus on the first field in error.
    keys.tab_to(field="city")
    keys.replace("")
    keys.submit("postal_address_capture", "Your address")
    assert phone.page.get_by_role("alert").is_visible()
    assert keys.focused() == {
        "id": "city",
        "label": "Town or city",
        "text": "",
        "value": "",
        "visible": True,
    }
    phone.page.keyboard.type("London")
    keys.submit("postal_address_capture-errors", "Choose your energy provider")

    keys.choose("provider_id", PLAIN_PROVIDER)
    keys.tab_to(button="Continue")
    keys.submit("provider_select-again", "How is your tariff priced?")

    keys.choose("structure", "Day and night rates")
    keys.submit("tariff_structure_select", "Your day and night rates")

    # The night rate first, then back (Shift+Tab) to the day rate left empty by mistake.
    keys.tab_to(field="night_cost")
    phone.page.keyboard.type("8.5")
    keys.submit("rate_tod_capture", "Your day and night rates")
    assert keys.focused()["id"] == "day_cost"
    keys.tab_to(field="night_cost")
    keys.replace("8,5")
    keys.tab_to(field="day_cost", back=True)
    phone.page.keyboard.type("30")
    keys.submit("rate_tod_capture-errors", "Name your tariff")

    keys.tab_to(field="tariff_name")
    phone.page.keyboard.type("Keyboard tariff")
    keys.submit("tariff_name_capture", "When does your contract end?")

    # The date field's order of day, month and year is the browser's; Skip needs none.
    keys.tab_to(button=SKIP)
    keys.submit("contract_term_capture", "Tariff summary", key="Space")

    keys.tab_to(button="Done")
    phone.shot("tariff_summary")
    back_in_the_app = re.compile(r"^" + re.escape(live.callback.split("?")[0]))
    with phone.page.expect_navigation(url=back_in_the_app):
        phone.page.keyboard.press("Enter")
    session = live.get(f"/connect/{token}")
    assert session["status"] == "COMPLETED"
    tariff = live.get("/tariffs", location_id=session["location_id"])["data"][0]
    assert tariff["display_name"] == "Keyboard tariff"
    assert tariff["contract_end_date"] is None
    hours = tariff["schedule"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in hours] == [
        ("07:00:00", "23:00:00", 0.3),
        ("23:00:00", "07:00:00", 0.085),
    ]


def test_the_advanced_schedule_page_has_no_serious_violation(auditor, live):
    open_advanced_flow(auditor, live)
    ask = auditor.answer
    ask("", "Choose your energy provider", choose=PLAIN_PROVIDER)
    ask("", "How is your tariff priced?", choose="Seasons, weekdays and tiers")
    heading = "Your tariff's seasons and times"
    season(auditor.page, 0, "Jan", "Dec", "All days")
    fill_window(auditor.page, "s0_all_0", "00:00", "00:00", "")  # the rate forgotten
    ask("advanced_tariff_capture", heading)
    assert auditor.focused_id() == "s0_all_0_rate"
    auditor.page.locator("#s0_all_0_rate").fill("25")
    ask("advanced_tariff_capture-errors", heading)
    ask("", "Name your tariff", fill={"Tariff name": "Seasonal"})
    assert auditor.audited == ["advanced_tariff_capture", "advanced_tariff_capture-errors"]
    assert auditor.problems == {}


def test_export_and_grid_fee_pages_have_no_serious_violation(auditor, live):
    with httpx.Client(base_url=live.base) as client:
        location_id = make_location(client, live.headers, LONDON)
    ask = auditor.answer
    export = {"tariff_type": "COMMODITY", "tariff_direction": "EXPORT"}
    open_session(auditor, live, location_id, **export)
    ask("", "Choose your energy provider", choose=PLAIN_PROVIDER)
    ask("tariff_structure_select-export", "How is your export tariff paid?", choose="Fixed rate")
    paid = {"What you are paid per kWh (p/kWh)": "15"}
    ask("rate_fixed_capture-export", "What you are paid for exported energy", fill=paid)
    ask("", "Name your tariff", fill={"Tariff name": "Solar export"})
    ask("", "When does your contract end?", press=SKIP)
    auditor.check("tariff_summary-export", "Export tariff summary")

    grid_fees = {"tariff_type": "NON_COMMODITY", "tariff_direction": "IMPORT"}
    open_session(auditor, live, location_id, **grid_fees)
    ask("", "Choose your energy provider", choose=PLAIN_PROVIDER)
    day_and_night = "Day and night rates"
    ask("tariff_structure_select-grid", "How are your grid fees charged?", choose=day_and_night)
    rates = {"Day rate (p/kWh)": "8", "Night rate (p/kWh)": "3"}
    ask("rate_tod_capture-grid", "Your day and night grid fees", fill=rates)
    ask("", "Name your tariff", fill={"Tariff name": "Network charges"})
    ask("", "When does your contract end?", press=SKIP)
    auditor.check("tariff_summary-grid", "Grid fees summary")
    assert len(auditor.audited) == 6
    assert auditor.problems == {}
