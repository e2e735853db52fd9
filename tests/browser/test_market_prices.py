"""The market-prices issue, end to end, for a German and a GB address.

`tariffconnect market fetch` runs as a real process against one local HTTP server standing in
for the public feeds (tests/market/public_feeds.py) and fills the same database a real server
reads. A customer then makes a MARKET tariff through the hosted Connect pages in real Chromium
at a phone's size; its summary must chart the stand-in's prices, in the customer's unit, and
`POST /prices` must answer them exactly (with the surcharges) through the end of tomorrow,
then forecasts below confidence 1.

The chart draws a bar per price period, cut at the clock hours: 96 quarter hours for Berlin's
15-minute prices, and 24 hours for London, whose Agile half hours the stand-in prices alike
within each hour (so `/prices` merges them).

The stand-in's prices are a pure function of the interval (`eur_mwh`, `agile_pence`), the
same every day in UTC; no clock change falls in these winter weeks' history, so each local
slot has one value every day and the forecast repeats it exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from tariffconnect.market import sources
from tests.browser.test_hosted_flow import (
    LONDON,
    PLAIN_PROVIDER,
    choose_provider,
    finish,
    heading,
    name_and_contract,
    next_page,
)
from tests.cli.conftest import tariffconnect
from tests.connect.flow.flow import make_location, make_session
from tests.market.public_feeds import agile_pence, eur_mwh, public_feeds, urls

pytestmark = pytest.mark.e2e

BERLIN = {
    "address_line1": "Invalidenstraße 117",
    "city": "Berlin",
    "post_code": "10115",
    "country_code": "DE",
}
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
FIVE_DECIMALS = Decimal("0.00001")
HISTORY_DAYS = 10  # fetched before today: more than the 7 days a forecast needs
# A forecast's confidence on the first and second day after the last published interval
# (market/forecast.py); a window of 3 days from now ends within the second.
FORECAST = (Decimal("0.9"), Decimal("0.83"))


@dataclass(frozen=True)
class Case:
    address: dict[str, str]
    slug: str
    feed: str  # the feed the fetch is expected to use
    timezone: str  # the location's
    delivery_zone: str  # where the source's delivery days are counted
    currency: str
    unit: str  # rates as the pages show them
    resolution: timedelta
    provider: str
    surcharge: tuple[str, str] | None  # (fixed in the minor unit, percent), as typed
    published: Callable[[datetime], Decimal]  # the stand-in's price at a UTC start, per kWh
    levels: dict[str, str]  # a few bars' levels, by their local start: read off the rule

    def price(self, start: datetime) -> Decimal:
        """What the tariff charges for the stand-in's interval starting at `start`."""
        value = self.published(start)
        if self.surcharge is not None:
            fixed, percent = (Decimal(typed) / 100 for typed in self.surcharge)
            value = (value + fixed) * (1 + percent)
        return value.quantize(FIVE_DECIMALS, ROUND_HALF_UP)

    def shown(self, value: Decimal) -> str:
        """A price as the summary shows it: `24.514 ct/kWh`."""
        return f"{(value * 100).normalize():f}\u00a0{self.unit}"


CASES = [
    pytest.param(
        Case(
            address=BERLIN,
            slug="de-lu",
            feed="ENERGY_CHARTS",
            timezone="Europe/Berlin",
            delivery_zone="Europe/Brussels",
            currency="EUR",
            unit="ct/kWh",
            resolution=timedelta(minutes=15),
            provider="Tibber",
            surcharge=("12", "19"),
            # EUR/MWh to EUR/kWh.
            published=lambda start: eur_mwh("DE-LU", start) / 1000,
            # 96 distinct prices a day, 63.00 EUR/MWh (00:00 UTC) to 86.45 (23:45 UTC); the
            # mean of the distinct ones is 74.725, which 11:00 UTC's 74.00 is nearest.
            levels={"01:00": "Low", "00:45": "High", "12:00": "Medium"},
        ),
        id="berlin",
    ),
    pytest.param(
        Case(
            address=LONDON,
            slug="gb-london",
            feed="OCTOPUS",
            timezone="Europe/London",
            delivery_zone="Europe/London",
            currency="GBP",
            unit="p/kWh",
            resolution=timedelta(minutes=30),
            provider=PLAIN_PROVIDER,
            surcharge=None,  # Agile already includes taxes
            # London is GSP group _C; p/kWh including VAT to GBP/kWh.
            published=lambda start: agile_pence("C", start) / 100,
            # Hour by hour 12 + hour/4 p, but -7.25 at 03:00: the distinct prices' mean is
            # 337/24 (14.04), so 12 p at midnight is Medium, not Low.
            levels={"03:00": "Low", "23:00": "High", "00:00": "Medium"},
        ),
        id="london",
    ),
]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def utc_text(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def expected_intervals(
    case: Case, start: datetime, end: datetime, horizon: datetime
) -> list[tuple[datetime, datetime, Decimal, Decimal]]:
    """(start, end, price, confidence) from `start` to `end` (UTC), one per stand-in interval
    (confidence 1 before `horizon`, the forecast's after it), equal neighbours merged."""
    slot = datetime.fromtimestamp(
        start.timestamp() // case.resolution.total_seconds() * case.resolution.total_seconds(),
        UTC,
    )
    found: list[tuple[datetime, datetime, Decimal, Decimal]] = []
    while slot < end:
        confidence = Decimal(1) if slot < horizon else FORECAST[(slot - horizon) // DAY]
        value = case.price(slot)
        begin, until = max(slot, start), min(slot + case.resolution, end)
        if found and found[-1][2:] == (value, confidence):
            found[-1] = (found[-1][0], until, value, confidence)
        else:
            found.append((begin, until, value, confidence))
        slot += case.resolution
    return found


def expected_bars(case: Case, day: date) -> list[tuple[str, str]]:
    """The chart's bars for a local day of published prices: ("HH:MM\u2013HH:MM", price shown),
    each merged period cut at the clock hours."""
    zone = ZoneInfo(case.timezone)
    start, end = midnight(day, zone), midnight(day + DAY, zone)
    bars = []
    for begin, until, value, _ in expected_intervals(case, start, end, horizon=end):
        while begin < until:
            cut = min(begin.replace(minute=0) + HOUR, until)
            span = f"{begin.astimezone(zone):%H:%M}\u2013{cut.astimezone(zone):%H:%M}"
            bars.append((span, case.shown(value)))
            begin = cut
    return bars


def fetch(live, case: Case, first: date, last: date) -> None:
    """`tariffconnect market fetch` for the case's source, first..last, into the server's
    database, from the stand-in feeds; then `market status` says how far it reaches."""
    zone = ZoneInfo(case.delivery_zone)
    with public_feeds() as feeds:
        feed_env = {f"TARIFFCONNECT_{key.upper()}": url for key, url in urls(feeds.url).items()}
        env = live.env | feed_env | {"TARIFFCONNECT_ENTSOE_TOKEN": "test-token"}
        fetched = tariffconnect(
            env, "market", "fetch", "--source", case.slug, "--start", f"{first}", "--end", f"{last}"
        )
        asked = {path.split("/")[1] for path in feeds.paths()}
    assert fetched.returncode == 0, fetched.stderr
    stored = (midnight(last + DAY, zone) - midnight(first, zone)) // case.resolution
    assert fetched.stdout.strip() == (
        f"{case.slug}: {stored} new, 0 revised, 0 unchanged (from {case.feed})"
    )
    assert asked == {case.feed.lower().replace("_", "-")}
    status = tariffconnect(live.env, "market", "status", "--json")
    assert status.returncode == 0, status.stderr
    row = next(row for row in json.loads(status.stdout) if row["source"] == case.slug)
    assert (row["last_published_until"], row["feed"], row["error"]) == (
        utc_text(midnight(last + DAY, zone)),
        case.feed,
        None,
    )


def make_market_tariff(phone, live, case: Case, token: str) -> None:
    """Provider, Market price, surcharges, name and contract: on to the summary."""
    page = phone.page
    page.goto(f"{live.base}/connect/web?fp_cot={token}")
    choose_provider(phone, case.provider)
    page.get_by_label("Market price", exact=True).check()
    next_page(phone, "tariff_structure_select")
    # Straight to the surcharges: Germany has one source, and SW1A's region is certain.
    assert heading(phone) == "Surcharges on the market price"
    fixed, percent = case.surcharge or ("", "")
    page.get_by_label(f"Fixed surcharge ({case.unit}) (optional)", exact=True).fill(fixed)
    page.get_by_label("Percentage surcharge (%) (optional)", exact=True).fill(percent)
    next_page(phone, "surcharge_capture")
    name_and_contract(phone, "Market tariff")


def check_chart(phone, case: Case, key: str, day: date) -> None:
    """The day's chart and table: every bar and row the stand-in's price, in words too."""
    page = phone.page
    expected = expected_bars(case, day)
    assert page.locator(f"#chart-{key}-title").text_content() == (
        f"Prices {key}, {day.day} {day:%B %Y}"
    )
    prices = [price for _, price in expected]
    low = min(prices, key=lambda text: Decimal(text.split("\u00a0")[0]))
    high = max(prices, key=lambda text: Decimal(text.split("\u00a0")[0]))
    assert page.locator(f"#chart-{key}-desc").text_content() == f"From {low} to {high} per hour."
    bars = page.locator(f"#chart-{key} rect.bar").evaluate_all(
        "bars => bars.map(b => [b.querySelector('title').textContent, b.getAttribute('class')])"
    )
    assert [title.rsplit(" (", 1)[0] for title, _ in bars] == [
        f"{span}: {price}" for span, price in expected
    ]
    by_start = {title[:5]: (title, css) for title, css in bars}
    for start, level in case.levels.items():
        span, price = next(bar for bar in expected if bar[0].startswith(start))
        assert by_start[start] == (f"{span}: {price} ({level})", f"bar bar-{level.lower()}")
    rows = page.locator(f"#day-{key} ~ table.rates tbody tr")
    shown = [tuple(row.locator("td").all_inner_texts()) for row in rows.all()]
    assert [(span, price) for span, price, _ in shown] == expected
    # The table says each level in words, as the bar's title does.
    assert [level for *_, level in shown] == [title.rsplit(" (", 1)[1][:-1] for title, _ in bars]


def check_prices(live, case: Case, location_id: str, *, first: date) -> None:
    """POST /prices from now for 3 days: the stand-in's prices with the surcharges, at
    confidence 1 through the end of tomorrow (the last published interval), then forecast."""
    zone = ZoneInfo(case.delivery_zone)
    horizon = midnight(datetime.now(zone).date() + 2 * DAY, zone)
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    end = start + 3 * DAY
    body = {"location_id": location_id, "start_time": utc_text(start), "end_time": utc_text(end)}
    answer = httpx.post(f"{live.base}/prices", json=body, headers=live.headers)
    assert answer.status_code == 200, answer.text
    priced = answer.json()
    assert (priced["currency_code"], priced["location_timezone"]) == (case.currency, case.timezone)
    got = [
        (d["valid_from"], d["valid_to"], d["price"]["value"], d["price"]["confidence"])
        for d in priced["data"]
    ]
    expected = [
        (utc_text(s), utc_text(e), float(value), float(confidence))
        for s, e, value, confidence in expected_intervals(case, start, end, horizon)
    ]
    published = sum(1 for s, *_ in expected if datetime.fromisoformat(s) < horizon)
    assert 0 < published < len(expected)
    assert got[:published] == expected[:published]
    assert got[published][0] == utc_text(horizon)
    forecast = got[published:]
    assert [c for *_, c in forecast] == [
        float(FORECAST[(datetime.fromisoformat(s) - horizon) // DAY]) for s, *_ in forecast
    ]
    assert forecast[0][3] == 0.9 and all(0 < c < 1 for *_, c in forecast)
    assert all(value != 0 for _, _, value, _ in got)
    hours = (end - midnight(first, zone)) // HOUR
    offsets = {
        (midnight(first, zone) + n * HOUR).astimezone(zone).utcoffset() for n in range(hours)
    }
    if len(offsets) == 1:
        # Each local slot had one value every day of the history: the forecast repeats it.
        assert forecast == expected[published:]
    else:  # a clock change in the history mixes two UTC hours in a local slot's median
        assert (forecast[0][0], forecast[-1][1]) == (utc_text(horizon), utc_text(end))


@pytest.mark.parametrize("case", CASES)
def test_market_prices_from_the_feeds_to_the_summary_and_prices(phone, live, case):
    source = sources.find(case.slug)
    assert source is not None
    delivery_today = datetime.now(ZoneInfo(case.delivery_zone)).date()
    tomorrow = delivery_today + DAY
    fetch(live, case, delivery_today - HISTORY_DAYS * DAY, tomorrow)

    with httpx.Client(base_url=live.base) as client:
        location_id = make_location(client, live.headers, case.address)
        token = make_session(
            client, live.headers, location_id=location_id, callback_url=live.callback
        )
    location = live.get(f"/locations/{location_id}")
    assert (location["timezone"], location["currency_code"]) == (case.timezone, case.currency)

    make_market_tariff(phone, live, case, token)
    page = phone.page
    assert heading(phone) == "Tariff summary"
    details = dict(
        tuple(row.locator("dt, dd").all_inner_texts()) for row in page.locator(".details-row").all()
    )
    assert details == {
        "Tariff": "Market tariff",
        "Type": "Market price",
        "Currency": case.currency,
        "Contract ends": f"30 September {datetime.now(UTC).year + 1}",
    }
    today = datetime.now(ZoneInfo(case.timezone)).date()
    check_chart(phone, case, "today", today)
    check_chart(phone, case, "tomorrow", today + DAY)
    tariff = finish(phone, live, token)
    assert (tariff["connection_type"], tariff["market_rates"], tariff["market_source_id"]) == (
        "MARKET",
        True,
        source.id,
    )
    rate = tariff["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    fixed, percent = case.surcharge or ("0", "0")
    assert (rate["surcharge_fixed"], rate["surcharge_percentage"]) == (
        float(Decimal(fixed) / 100),
        float(Decimal(percent) / 100),
    )

    check_prices(live, case, location_id, first=delivery_today - HISTORY_DAYS * DAY)
