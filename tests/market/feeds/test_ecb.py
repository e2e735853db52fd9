"""market/feeds/ecb.py against a real server answering the ECB's EXR csvdata shape."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import FeedError
from tariffconnect.market.feeds.ecb import EcbRates
from tariffconnect.market.feeds.http import new_client
from tests.market.feeds.fixture_server import Answer, FixtureServer, serving
from tests.market.feeds.support import fixture

CHRISTMAS_WEEK = {"first": date(2025, 12, 24), "last": date(2025, 12, 29)}


def christmas_answer(currency):
    return fixture(f"ecb_{currency.lower()}_2025-12-17_2025-12-29.csv")


def csv_answer(body):
    return lambda _asked: Answer(200, body, content_type="text/csv")


@pytest.fixture(scope="module")
def ecb_server():
    # One server for the module: stopping one costs half a second (serve_forever's poll).
    # Its default 404 fails at once a test that should not have asked.
    with serving(lambda _asked: Answer(404)) as server:
        yield server


@dataclass
class Ecb:
    """EcbRates pointed at the fixture server, which answers with whatever handler it is given."""

    server: FixtureServer
    feed: EcbRates

    def rates(self, handler, currency, **days):
        """What EcbRates finds when the ECB answers with `handler`, and what it asked."""
        self.server.handler = handler
        return self.feed.rates(currency, **days), list(self.server.asked)

    def rates_in_christmas_answer(self, currency, **days):
        """What EcbRates finds when the ECB answers with `currency`'s Christmas fixture."""
        return self.rates(csv_answer(christmas_answer(currency)), currency, **days)

    def failure(self, handler, currency, **days):
        """The reason EcbRates fails when the ECB answers with `handler`, and what it asked."""
        self.server.handler = handler
        with pytest.raises(FeedError) as failed:
            self.feed.rates(currency, **days)
        return str(failed.value), list(self.server.asked)


@pytest.fixture
def ecb(ecb_server):
    ecb_server.asked.clear()
    with new_client(timeout=5) as client:
        yield Ecb(ecb_server, EcbRates(Settings(ecb_url=f"{ecb_server.url}/service"), client))


def test_the_daily_series_is_asked_for_from_a_week_before_the_first_day(ecb):
    _, asked = ecb.rates_in_christmas_answer("SEK", **CHRISTMAS_WEEK)
    assert [(one.path, one.query) for one in asked] == [
        (
            "/service/data/EXR/D.SEK.EUR.SP00.A",
            {"startPeriod": "2025-12-17", "endPeriod": "2025-12-29", "format": "csvdata"},
        )
    ]


# 25 and 26 December are TARGET holidays and 27-28 a weekend: no rates, so 24 December's hold.
@pytest.mark.parametrize(
    ("currency", "on_24th", "on_29th"),
    [
        ("SEK", "10.8865", "10.9120"),
        ("NOK", "11.7740", "11.8015"),
        ("DKK", "7.4690", "7.4695"),
        ("PLN", "4.2120", "4.2230"),
    ],
)
def test_christmas_and_the_weekend_take_the_rate_of_24_december(ecb, currency, on_24th, on_29th):
    found, _ = ecb.rates_in_christmas_answer(currency, **CHRISTMAS_WEEK)
    assert found == {
        date(2025, 12, 24): Decimal(on_24th),
        date(2025, 12, 25): Decimal(on_24th),
        date(2025, 12, 26): Decimal(on_24th),
        date(2025, 12, 27): Decimal(on_24th),
        date(2025, 12, 28): Decimal(on_24th),
        date(2025, 12, 29): Decimal(on_29th),
    }
    # Exactly as published, trailing zeros included.
    assert [str(value) for value in found.values()] == [on_24th] * 5 + [on_29th]


def test_a_day_whose_rate_is_not_out_yet_takes_the_latest_one(ecb):
    found, asked = ecb.rates_in_christmas_answer(
        "SEK",
        first=date(2025, 12, 29),
        last=date(2025, 12, 30),
    )
    assert found == {date(2025, 12, 29): Decimal("10.9120"), date(2025, 12, 30): Decimal("10.9120")}
    assert asked[0].query["startPeriod"] == "2025-12-22"
    assert asked[0].query["endPeriod"] == "2025-12-30"


def test_a_single_working_day_takes_its_own_rate(ecb):
    found, _ = ecb.rates_in_christmas_answer(
        "NOK",
        first=date(2025, 12, 19),
        last=date(2025, 12, 19),
    )
    assert found == {date(2025, 12, 19): Decimal("11.8590")}


def test_a_day_with_no_earlier_rate_in_the_answer_fails(ecb):
    # The answer starts on 17 December; nothing covers 15 and 16 December.
    reason, asked = ecb.failure(
        csv_answer(christmas_answer("SEK")),
        "SEK",
        first=date(2025, 12, 15),
        last=date(2025, 12, 29),
    )
    assert reason == "ECB: no SEK rate on or before 2025-12-15 in the answer"
    assert asked[0].query["startPeriod"] == "2025-12-08"


def test_eur_is_one_every_day_without_asking(ecb):
    found, asked = ecb.rates(lambda _asked: Answer(404), "EUR", **CHRISTMAS_WEEK)
    assert found == {date(2025, 12, day): Decimal(1) for day in range(24, 30)}
    assert asked == []


def test_a_currency_the_ecb_does_not_publish_is_a_404(ecb):
    not_found = Answer(404, b"No results found.", content_type="text/plain")
    reason, asked = ecb.failure(lambda _asked: not_found, "XYZ", **CHRISTMAS_WEEK)
    assert reason == "ECB: no XYZ reference rates from 2025-12-17 to 2025-12-29 (HTTP 404)"
    assert [one.path for one in asked] == ["/service/data/EXR/D.XYZ.EUR.SP00.A"]


@pytest.mark.parametrize("code", ["sek", "SE", "SEKK", "S/K", "../"])
def test_a_code_that_is_not_iso_4217_is_refused_without_asking(ecb, code):
    reason, asked = ecb.failure(lambda _asked: Answer(404), code, **CHRISTMAS_WEEK)
    assert reason == f"ECB: {code!r} is not an ISO 4217 currency code"
    assert asked == []


def test_an_html_error_page_is_not_taken_for_rates(ecb):
    page = Answer(200, fixture("ecb_html_error_page.html"), content_type="text/html; charset=utf-8")
    reason, _ = ecb.failure(lambda _asked: page, "SEK", **CHRISTMAS_WEEK)
    assert reason == "ECB: answered text/html, not csv"


def spoil_23_december(old, new):
    """The SEK answer with the row of 23 December changed."""
    row = b"EXR.D.SEK.EUR.SP00.A,D,SEK,EUR,SP00,A,2025-12-23,10.9010,"
    body = christmas_answer("SEK")
    assert row in body
    return body.replace(row, row.replace(old, new))


def bad_value(text):
    """The SEK answer with `text` as the value of 23 December, and the reason it fails."""
    body = spoil_23_december(b",10.9010,", f",{text},".encode())
    return body, f"ECB: SEK row 6: OBS_VALUE {text!r} is not a rate"


def bad_day(text):
    """The SEK answer with `text` as the TIME_PERIOD of 23 December, and the reason it fails."""
    body = spoil_23_december(b"2025-12-23", text.encode())
    return body, f"ECB: SEK row 6: TIME_PERIOD {text!r} is not a day"


def with_row_added(row):
    """The SEK answer with one more row at the end (row 9)."""
    return christmas_answer("SEK") + row


ROW_OF_24TH = christmas_answer("SEK").splitlines(keepends=True)[6]
assert ROW_OF_24TH.startswith(b"EXR.D.SEK.EUR.SP00.A,D,SEK,EUR,SP00,A,2025-12-24,10.8865,")
NOT_CSVDATA = "ECB: the answer is not EXR csvdata (no KEY, OBS_VALUE, TIME_PERIOD)"
NOT_SEK = "series 'EXR.D.NOK.EUR.SP00.A', not EXR.D.SEK.EUR.SP00.A"
UNUSABLE_ANSWERS = {
    "html labelled csv": (fixture("ecb_html_error_page.html"), NOT_CSVDATA),
    "empty body": (b"", NOT_CSVDATA),
    "header only": (fixture("ecb_header_only.csv"), "ECB: the answer holds no SEK rates"),
    "NaN value": (
        fixture("ecb_sek_malformed_row.csv"),
        "ECB: SEK row 6: OBS_VALUE 'NaN' is not a rate",
    ),
    "no value": bad_value(""),
    "underscores": bad_value("10_901"),
    "negative": bad_value("-10.9010"),
    "zero": bad_value("0.0000"),
    "exponent": bad_value("1.09e1"),
    "no such day": bad_day("2025-12-32"),
    "a week": bad_day("2025-W52"),
    "compact day": bad_day("20251223"),
    "one row of another series": (
        spoil_23_december(b"EXR.D.SEK.", b"EXR.D.NOK."),
        f"ECB: SEK row 6: {NOT_SEK}",
    ),
    "the answer for another currency": (christmas_answer("NOK"), f"ECB: SEK row 2: {NOT_SEK}"),
    "cut-off row": (
        with_row_added(b"EXR.D.SEK.EUR.SP00.A,D,SEK,EUR,SP00,A,2025-12-30\n"),
        "ECB: SEK row 9: has not as many fields as the header",
    ),
    "two rates for one day": (
        with_row_added(ROW_OF_24TH.replace(b",10.8865,", b",10.8866,")),
        "ECB: SEK row 9: a second, different rate for 2025-12-24",
    ),
}


@pytest.mark.parametrize(
    ("body", "reason"), list(UNUSABLE_ANSWERS.values()), ids=list(UNUSABLE_ANSWERS)
)
def test_an_unusable_answer_fails_saying_why(ecb, body, reason):
    failed_with, _ = ecb.failure(csv_answer(body), "SEK", **CHRISTMAS_WEEK)
    assert failed_with == reason


def test_the_same_rate_twice_for_one_day_is_taken(ecb):
    found, _ = ecb.rates(csv_answer(with_row_added(ROW_OF_24TH)), "SEK", **CHRISTMAS_WEEK)
    assert found[date(2025, 12, 24)] == Decimal("10.8865")


def test_first_after_last_is_a_programming_error(ecb):
    with pytest.raises(ValueError, match=r"^first \(2025-12-29\) is after last \(2025-12-24\)$"):
        ecb.rates(csv_answer(b""), "SEK", first=date(2025, 12, 29), last=date(2025, 12, 24))
