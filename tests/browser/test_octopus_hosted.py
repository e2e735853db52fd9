"""Octopus Energy through the hosted Connect pages and the hosted auth page, in real Chromium at
a phone's size, against the Octopus fixture server (tests/integrations/octopus): a GB customer
picks Octopus Energy, enters their account number and API key, allows, and lands on the
summary showing their tariff: Economy 7, Go (with its Outgoing export), and Agile priced from
the London series `tariffconnect market fetch` stored from the stand-in public feeds; a wrong
key shows why, and trying again connects.

The Octopus adapter is not offered in production yet (integrations/adapters/registry.py); the
server this module starts offers it, as tests/integrations/octopus/conftest.py does in process:
a `sitecustomize` on its PYTHONPATH adds it to the registry before anything runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser import test_accessibility
from tests.browser.conftest import Live, Phone
from tests.browser.test_accessibility import Auditor
from tests.browser.test_hosted_flow import LONDON, choose_provider, heading, next_page
from tests.cli.conftest import tariffconnect
from tests.connect.flow.flow import make_session
from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.fixture_server import API_KEY, octopus_api
from tests.market.public_feeds import agile_pence, public_feeds, urls

pytestmark = pytest.mark.e2e

# The accessibility tests' fixtures: a phone that runs axe-core over each page it shows.
auditor = test_accessibility.auditor
axe_script = test_accessibility.axe_script
AUTH_URL = re.compile(r".*/connect/auth/prv_\w+\?fp_cot=cot_\w+")
WRONG_KEY = "sk_live_WrongKey0123456789abcdef"
LONDON_TIME = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def octopus_server() -> Iterator[str]:
    """The fixture server's URL, and an environment for the server `live` starts: Octopus at
    that URL (on 127.0.0.1, which the network rules must allow)."""
    with octopus_api(octo.customers()) as (server, _api), pytest.MonkeyPatch.context() as env:
        env.setenv("TARIFFCONNECT_OCTOPUS_API_URL", server.url)
        env.setenv("TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
        yield server.url


@pytest.fixture(scope="module")
def live(octopus_server: str, live: Live) -> Live:
    """The browser tests' server (tests/browser/conftest.py), started pointing at the fixture."""
    return live


def open_octopus(phone: Phone, live: Live) -> str:
    """A session at 10 Downing Street whose front end is the hosted pages; on to the login."""
    with httpx.Client(base_url=live.base) as client:
        options = {"connect_url": f"{live.base}/connect/web"}
        token = make_session(
            client, live.headers, LONDON, callback_url=live.callback, options=options
        )
    phone.page.goto(f"{live.base}/connect/web?fp_cot={token}")
    choose_provider(phone, "Octopus Energy")
    phone.page.wait_for_url(AUTH_URL)
    assert heading(phone) == "Log in to Octopus Energy"
    return token


def log_in(phone: Phone, number: str, key: str = API_KEY) -> None:
    phone.page.get_by_label("Account number", exact=True).fill(number)
    phone.page.get_by_label("API key", exact=True).fill(key)
    next_page(phone, "auth_metadata_capture", button="Connect")


def allow(phone: Phone) -> str:
    """Allow on the consent page; the summary's text, back on the hosted Connect pages."""
    assert heading(phone) == "Allow access to your tariff"
    next_page(phone, "consent_capture", button="Allow")
    phone.page.wait_for_url(re.compile(r".*/connect/web\?fp_cot="))
    assert heading(phone) == "Tariff summary"
    text: str = phone.page.locator("main").inner_text()
    return " ".join(text.split())


def done(phone: Phone, live: Live, token: str) -> dict[str, dict[str, Any]]:
    """Done on the summary: back in the app with the token; the location's tariffs by
    direction, all DIRECT from Octopus."""
    next_page(phone, "tariff_summary", button="Done")
    phone.page.wait_for_url(re.compile(r"^" + re.escape(live.callback.split("?")[0])))
    assert parse_qs(urlsplit(phone.page.url).query) == {"app": ["demo"], "fp_cot": [token]}
    session = live.get(f"/connect/{token}")
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
    found = live.get("/tariffs", location_id=session["location_id"])["data"]
    assert {(t["status"], t["connection_type"], t["provider_id"]) for t in found} == {
        ("CONNECTED", "DIRECT", session["provider_id"])
    }
    return {t["tariff_direction"]: t for t in found}


def day_rows(*rows: tuple[str, str, str]) -> str:
    """A day's "Prices by time of day" table as the summary's text: (from, to, price) rows."""
    shown = (f"{start}\u2013{end} {price} p/kWh" for start, end, price in rows)
    return "Time Price Level " + " ".join(shown)


def without_levels(text: str) -> str:
    """The summary's text without the price levels (High, Medium, Low: relative to the day)."""
    return re.sub(r" (High|Medium|Low)\b", "", text)


# A local day's rows, today's and tomorrow's alike: Go's windows as the fixture publishes them
# (local time), Economy 7's night the smart-meter one (agreements.py).
GO_DAY = day_rows(
    ("00:00", "00:30", "27.7"),
    ("00:30", "05:30", "8.5"),
    ("05:30", "00:00", "27.7"),
)
E7_DAY = day_rows(
    ("00:00", "00:30", "30.1"),
    ("00:30", "07:30", "12.6"),
    ("07:30", "00:00", "30.1"),
)


@pytest.mark.parametrize(
    ("number", "name", "day", "tariffs"),
    [
        (octo.E7_NUMBER, "Flexible Octopus", E7_DAY, {"IMPORT": "Flexible Octopus"}),
        (
            octo.GO_NUMBER,
            "Octopus Go",
            GO_DAY,
            {"IMPORT": "Octopus Go", "EXPORT": "Outgoing Octopus"},
        ),
    ],
    ids=["economy-7", "go-with-outgoing"],
)
def test_a_customer_connects_on_the_hosted_pages(
    phone: Phone, live: Live, number: str, name: str, day: str, tariffs: dict[str, str]
) -> None:
    token = open_octopus(phone, live)
    log_in(phone, number)
    summary = without_levels(allow(phone))
    assert f"Tariff {name} Type Day and night rates Currency GBP" in summary
    assert "Standing charge 53.35 p per day" in summary
    assert summary.count(day) == 2  # today and tomorrow
    stored = done(phone, live, token)
    assert {direction: t["display_name"] for direction, t in stored.items()} == tariffs


def agile_day(today: datetime) -> str:
    """Today's Agile rows as the stand-in feed prices them in region C (SW1A 2AA's): the
    summary merges each hour's two half hours, priced alike."""
    start = datetime.combine(today.date(), time(0), LONDON_TIME).astimezone(UTC)
    end = datetime.combine(today.date() + timedelta(days=1), time(0), LONDON_TIME)
    rows = []
    while start < end:
        local, after = start.astimezone(LONDON_TIME), (start + HOUR).astimezone(LONDON_TIME)
        price = agile_pence("C", start).normalize()
        rows.append((f"{local:%H:%M}", f"{after:%H:%M}", f"{price:f}"))
        start += HOUR
    return day_rows(*rows)


def test_an_agile_customer_sees_the_regions_ingested_prices(phone: Phone, live: Live) -> None:
    today = datetime.now(LONDON_TIME)
    tomorrow = today.date() + timedelta(days=1)
    with public_feeds() as feeds:
        feed_env = {f"TARIFFCONNECT_{k.upper()}": url for k, url in urls(feeds.url).items()}
        fetch = ("market", "fetch", "--source", "gb-london", "--start", f"{today.date()}")
        fetched = tariffconnect(live.env | feed_env, *fetch, "--end", f"{tomorrow}")
    assert fetched.returncode == 0, fetched.stderr
    first = datetime.combine(today.date(), time(0), LONDON_TIME)
    after = datetime.combine(tomorrow + timedelta(days=1), time(0), LONDON_TIME)
    half_hours = (after.astimezone(UTC) - first.astimezone(UTC)) // timedelta(minutes=30)
    stored = f"gb-london: {half_hours} new, 0 revised, 0 unchanged (from OCTOPUS)"
    assert fetched.stdout.strip() == stored
    token = open_octopus(phone, live)
    log_in(phone, octo.AGILE_NUMBER)
    summary = without_levels(allow(phone))
    assert "Tariff Agile Octopus Type Market price Currency GBP" in summary
    assert "Standing charge 53.35 p per day" in summary
    assert agile_day(today) in summary
    tariffs = done(phone, live, token)
    assert set(tariffs) == {"IMPORT"}
    assert tariffs["IMPORT"]["market_rates"] is True


def test_a_wrong_key_says_so_and_trying_again_connects(phone: Phone, live: Live) -> None:
    token = open_octopus(phone, live)
    log_in(phone, octo.E7_NUMBER, WRONG_KEY)
    assert heading(phone) == "We could not log you in"
    phone.shot("failed_login")
    lead = phone.page.locator("p.lead").inner_text()
    assert lead == "Octopus did not accept this API key. Check it on your Octopus dashboard."
    assert WRONG_KEY not in phone.page.content()
    manual = phone.page.get_by_role("button", name="Set my tariff manually", exact=True)
    assert manual.is_visible()
    phone.page.get_by_role("link", name="Try again", exact=True).click()
    phone.page.wait_for_url(AUTH_URL)
    assert heading(phone) == "Log in to Octopus Energy"
    log_in(phone, octo.E7_NUMBER)
    assert "Tariff Flexible Octopus" in allow(phone)
    assert set(done(phone, live, token)) == {"IMPORT"}


def test_the_octopus_auth_pages_have_no_serious_violation(auditor: Auditor, live: Live) -> None:
    ask = auditor.answer
    open_octopus(auditor.phone, live)
    login = {"Account number": octo.E7_NUMBER, "API key": WRONG_KEY}
    ask("auth_metadata_capture", "Log in to Octopus Energy", fill=login, press="Connect")
    ask("failed_login", "We could not log you in", press="")
    auditor.page.get_by_role("link", name="Try again", exact=True).click()
    auditor.page.wait_for_load_state()
    login = {"Account number": octo.E7_NUMBER, "API key": API_KEY}
    ask("", "Log in to Octopus Energy", fill=login, press="Connect")
    ask("consent_capture", "Allow access to your tariff", press="")
    assert auditor.problems == {}, auditor.problems
    assert auditor.audited == ["auth_metadata_capture", "failed_login", "consent_capture"]
