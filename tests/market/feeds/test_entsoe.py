"""market/feeds/entsoe.py against a real server answering as the Transparency Platform does."""

import string
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import FeedError, FeedOff
from tariffconnect.market.feeds.entsoe import EIC_CODES, EntsoeFeed
from tariffconnect.market.feeds.http import new_client
from tariffconnect.market.sources import all_sources
from tests.market.feeds.fixture_server import Answer, FixtureServer, serving
from tests.market.feeds.support import fixture, source, utc

TOKEN = "0f6c2e1a-entsoe-secret-token"
BRUSSELS = ZoneInfo("Europe/Brussels")
DE_LU_DAY = "entsoe_de_lu_2026-03-29_pt15m_a03.xml"
BE_THREE_DAYS = "entsoe_be_2025-09-29_to_2025-10-01_two_series.xml"
NL_LONG_DAY = "entsoe_nl_2024-10-27_pt60m_25h.xml"


def xml(body, status=200):
    return Answer(status, body, content_type="application/xml")


@contextmanager
def entsoe_answering(answer, *, token=TOKEN) -> Iterator[tuple[EntsoeFeed, FixtureServer]]:
    with serving(lambda _asked: answer) as server, new_client(timeout=5) as client:
        settings = Settings(entsoe_url=f"{server.url}/api", entsoe_token=token)
        yield EntsoeFeed(settings, client), server


def fetch(answer, slug, start, end):
    with entsoe_answering(answer) as (feed, server):
        points = feed.fetch(source(slug), start=utc(start), end=utc(end))
    return points, server.asked


def failure(answer, slug="de-lu", start="2026-03-28T23:00", end="2026-03-29T22:00"):
    with pytest.raises(FeedError) as failed:
        fetch(answer, slug, start, end)
    assert TOKEN not in str(failed.value)
    return str(failed.value)


def test_a_23_hour_day_of_quarters_with_a03_left_out_positions():
    points, asked = fetch(xml(fixture(DE_LU_DAY)), "de-lu", "2026-03-28T23:00", "2026-03-29T22:00")

    assert len(points) == 92  # 23 hours in Brussels: the clocks went forward
    assert points[0].start == utc("2026-03-28T23:00")
    assert points[0].start.astimezone(BRUSSELS).hour == 0
    assert points[-1].start == utc("2026-03-29T21:45")
    assert {p.minutes for p in points} == {15}
    assert {p.currency for p in points} == {"EUR"}
    assert points[0].value == Decimal("0.08412")
    assert points[1].value == Decimal("0.08549")
    # Positions 42-44 are left out: they repeat position 41's price.
    assert [p.value for p in points[40:46]] == [Decimal("-0.00501")] * 4 + [
        Decimal("-0.00001"),
        Decimal("0"),
    ]
    assert points[41].start == utc("2026-03-29T09:15")
    # Positions 90-92 are left out too, up to the period's end.
    assert [p.value for p in points[88:]] == [Decimal("0.02093")] * 4
    assert [p.start for p in points] == sorted(p.start for p in points)

    assert len(asked) == 1
    assert asked[0].path == "/api"
    assert asked[0].query == {
        "documentType": "A44",
        "in_Domain": "10Y1001A1001A82H",
        "out_Domain": "10Y1001A1001A82H",
        "periodStart": "202603282300",
        "periodEnd": "202603292200",
        "contract_MarketAgreement.type": "A01",
        "securityToken": TOKEN,
    }


def test_the_exaa_series_under_sequence_2_is_not_taken_for_the_sdac_price():
    points, _ = fetch(xml(fixture(DE_LU_DAY)), "de-lu", "2026-03-28T23:00", "2026-03-29T22:00")

    # Sequence 2 (EXAA) starts at 90.00 EUR/MWh, sequence 1 (SDAC) at 84.12.
    assert len({p.start for p in points}) == 92
    assert points[0].value == Decimal("0.08412")


def test_only_sequence_2_means_no_sdac_price_yet():
    body = fixture(DE_LU_DAY).replace(b"position>1</classification", b"position>2</classification")

    points, _ = fetch(xml(body), "de-lu", "2026-03-28T23:00", "2026-03-29T22:00")

    assert points == []


def test_two_series_and_two_periods_of_hours_then_quarters():
    body = fixture(BE_THREE_DAYS)

    points, asked = fetch(xml(body), "be", "2025-09-28T22:00", "2025-10-01T22:00")

    assert len(points) == 24 + 24 + 96
    assert [p.minutes for p in points] == [60] * 48 + [15] * 96
    assert points[0].start == utc("2025-09-28T22:00")
    assert points[0].value == Decimal("0.09540")
    assert points[23].start == utc("2025-09-29T21:00")
    assert points[23].value == Decimal("0.11850")
    assert points[24].start == utc("2025-09-29T22:00")
    assert points[24].value == Decimal("0.10103")
    assert points[29].value == points[28].value == Decimal("0.10253")  # position 6 left out
    assert points[47].value == Decimal("0.08203")
    assert points[48].start == utc("2025-09-30T22:00")
    assert [p.value for p in points[48:53]] == [Decimal("0.07777")] * 4 + [Decimal("0.07576")]
    assert points[-1].start == utc("2025-10-01T21:45")
    assert points[-1].value == Decimal("0.09772")
    assert asked[0].query["in_Domain"] == asked[0].query["out_Domain"] == "10YBE----------2"
    assert asked[0].query["periodStart"] == "202509282200"
    assert asked[0].query["periodEnd"] == "202510012200"


def test_prices_outside_the_asked_window_are_left_out():
    points, _ = fetch(xml(fixture(BE_THREE_DAYS)), "be", "2025-09-29T22:00", "2025-09-30T23:00")

    assert len(points) == 24 + 4
    assert points[0].start == utc("2025-09-29T22:00")
    assert points[-1].start == utc("2025-09-30T22:45")


def test_an_intraday_series_is_not_a_day_ahead_price():
    body = fixture(BE_THREE_DAYS).replace(
        b"<contract_MarketAgreement.type>A01", b"<contract_MarketAgreement.type>A07", 1
    )

    points, _ = fetch(xml(body), "be", "2025-09-28T22:00", "2025-10-01T22:00")

    assert len(points) == 96
    assert points[0].start == utc("2025-09-30T22:00")


def test_a_25_hour_day_of_hours():
    points, asked = fetch(xml(fixture(NL_LONG_DAY)), "nl", "2024-10-26T22:00", "2024-10-27T23:00")

    assert len(points) == 25  # 25 hours in Brussels: the clocks went back
    assert {p.minutes for p in points} == {60}
    assert points[0].start == utc("2024-10-26T22:00")
    assert points[-1].start == utc("2024-10-27T22:00")
    assert points[-1].start.astimezone(BRUSSELS).hour == 23
    # 02:00 local twice: once in summer time, once in winter time.
    assert [p.start.astimezone(BRUSSELS).hour for p in points[2:5]] == [2, 2, 3]
    assert [p.value for p in points[:5]] == [
        Decimal("0.06850"),
        Decimal("0.07505"),
        Decimal("0.07505"),
        Decimal("0.07505"),
        Decimal("0.07920"),
    ]
    assert points[-2].value == points[-1].value == Decimal("0.07965")
    assert asked[0].query["in_Domain"] == "10YNL----------L"


def test_the_no_data_acknowledgement_is_an_empty_answer():
    points, asked = fetch(
        xml(fixture("entsoe_no_data.xml")), "de-lu", "2026-03-28T23:00", "2026-03-29T22:00"
    )

    assert points == []
    assert len(asked) == 1


def test_another_acknowledgement_is_a_failure_with_its_reason():
    body = fixture("entsoe_no_data.xml").replace(b"<code>999</code>", b"<code>A59</code>")
    body = body.replace(b"No matching data found", f"Token {TOKEN} is bad".encode())

    reason = failure(xml(body))

    assert reason.startswith("ENTSOE: request refused (A59 Token *** is bad")


def test_an_html_maintenance_page_is_a_failure():
    page = Answer(200, fixture("entsoe_maintenance.html"), content_type="text/html")

    assert failure(page) == "ENTSOE: answered text/html, not xml"


def test_a_truncated_document_is_a_failure():
    body = fixture(DE_LU_DAY)

    reason = failure(xml(body[: len(body) // 2]))

    assert reason.startswith("ENTSOE: malformed or truncated XML (line ")


def test_a_document_with_a_dtd_is_refused():
    body = fixture(DE_LU_DAY).replace(
        b'<?xml version="1.0" encoding="utf-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>',
    )

    assert failure(xml(body)) == "ENTSOE: the answer declares a DTD, which the platform never sends"


def test_a_price_that_is_not_a_number_is_a_failure():
    body = fixture(DE_LU_DAY).replace(b">85.49<", b">n/a<", 1)

    assert failure(xml(body)) == "ENTSOE: price 'n/a' at position 2 is not a number"


def test_a_nan_price_is_a_failure():
    body = fixture(DE_LU_DAY).replace(b">85.49<", b">NaN<", 1)

    assert failure(xml(body)) == "ENTSOE: price 'NaN' at position 2 is not a number"


def test_an_unknown_resolution_is_a_failure():
    body = fixture(DE_LU_DAY).replace(b"PT15M", b"PT5M", 1)

    assert failure(xml(body)) == "ENTSOE: resolution PT5M is not PT15M/PT30M/PT60M"


def test_a_position_past_the_period_end_is_a_failure():
    body = fixture(NL_LONG_DAY).replace(b"<position>24</position>", b"<position>26</position>")

    reason = failure(xml(body), "nl", "2024-10-26T22:00", "2024-10-27T23:00")

    assert reason == "ENTSOE: point position '26' is outside 1-25"


def test_a_price_document_in_another_currency_is_a_failure():
    body = fixture(NL_LONG_DAY).replace(b">EUR<", b">SEK<")

    reason = failure(xml(body), "nl", "2024-10-26T22:00", "2024-10-27T23:00")

    assert reason == "ENTSOE: prices in SEK, not EUR"


def test_a_bad_token_is_final_and_never_repeated():
    page = Answer(401, b"<html><body><h1>401 Unauthorized</h1></body></html>", "text/html")

    with entsoe_answering(page) as (feed, server), pytest.raises(FeedError) as failed:
        feed.fetch(source("se3"), start=utc("2026-03-28T23:00"), end=utc("2026-03-29T22:00"))

    assert str(failed.value) == "ENTSOE: HTTP 401"
    assert TOKEN not in str(failed.value)
    assert len(server.asked) == 1
    assert server.asked[0].query["in_Domain"] == "10Y1001A1001A46L"


def test_without_a_token_the_feed_is_off_and_asks_nothing():
    with (
        entsoe_answering(xml(fixture(DE_LU_DAY)), token="") as (feed, server),
        pytest.raises(FeedOff) as off,
    ):
        feed.fetch(source("de-lu"), start=utc("2026-03-28T23:00"), end=utc("2026-03-29T22:00"))

    assert str(off.value) == "ENTSOE: no security token (TARIFFCONNECT_ENTSOE_TOKEN)"
    assert server.asked == []


def _eic_check_character(code):
    # EIC reference manual: weights 16..2 over the first 15 characters, modulo 37.
    alphabet = string.digits + string.ascii_uppercase + "-"
    total = sum(alphabet.index(c) * (16 - i) for i, c in enumerate(code[:15]))
    return alphabet[36 - (total - 1) % 37]


def test_every_sdac_zone_has_a_well_formed_eic_code():
    zones = {s.bidding_zone for s in all_sources() if "ENTSOE" in s.feeds}

    assert zones == set(EIC_CODES)
    for zone, code in EIC_CODES.items():
        assert len(code) == 16, zone
        assert _eic_check_character(code) == code[-1], zone


def test_covers_the_sdac_zones_and_not_gb():
    with new_client(timeout=5) as client:
        feed = EntsoeFeed(Settings(entsoe_token=TOKEN), client)

        assert feed.covers(source("it-cala"))
        assert feed.covers(source("lu-de-lu"))
        assert not feed.covers(source("gb-london"))
