"""Octopus accounts for the adapter's tests, on the fixture server (fixture_server.py): a Go,
an Economy 7 and an Agile customer at one London post code, with rates published around the
real today (the adapter reads the clock, as the refresh does)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.integrations.octopus.fixture_server import (
    OctopusData,
    account,
    account_property,
    agreement,
    meter_point,
    product_detail,
    product_row,
    rate_row,
    regional_tariff,
)

LONDON = ZoneInfo("Europe/London")
POST_CODE = "SW1A 2AA"
GO = "E-1R-GO-VAR-22-10-14-C"
E7 = "E-2R-VAR-22-11-01-C"
AGILE = "E-1R-AGILE-24-10-01-C"
OUTGOING = "E-1R-OUTGOING-VAR-24-10-26-C"
FLEX = "E-1R-VAR-22-11-01-C"
GO_NUMBER, E7_NUMBER, AGILE_NUMBER = "A-0000A001", "A-0000A002", "A-0000A003"
IMPORT_MPAN, EXPORT_MPAN = "1200000000001", "1200000000002"
SINCE = "2025-01-01T00:00:00Z"
# pence inc VAT, as published
GO_CHEAP, GO_PEAK, STANDING = 8.5, 27.7, 53.35
E7_DAY, E7_NIGHT, FLEX_RATE, OUTGOING_RATE = 30.1, 12.6, 24.5, 15.0
# the regional tariff's headline rate (Go's peak; Agile's is the day's first half hour)
HEADLINE = {GO: GO_PEAK, FLEX: FLEX_RATE, AGILE: 20.0, OUTGOING: OUTGOING_RATE}


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def go_rows(around: date) -> list[dict]:
    """Go's half-hour periods as the API splits them (cheap 00:30-05:30 local), from three days
    before `around` to three after, newest first."""
    rows = []
    for offset in range(-3, 4):
        day = around + timedelta(days=offset)
        rows.append(rate_row(GO_CHEAP, _z(_local(day, 0, 30)), _z(_local(day, 5, 30))))
        nxt = day + timedelta(days=1)
        rows.append(rate_row(GO_PEAK, _z(_local(day, 5, 30)), _z(_local(nxt, 0, 30))))
    return sorted(rows, key=lambda r: r["valid_from"], reverse=True)


def _open_rate(value: float) -> list[dict]:
    return [rate_row(value, "2024-04-01T00:00:00Z", None, payment_method="DIRECT_DEBIT")]


def _product(data: OctopusData, display_name: str, *codes: str, direction: str = "IMPORT") -> None:
    """The product of `codes` (its single and/or dual register tariff in region C), with each
    tariff's standing charge; the regional tariffs carry the headline unit rates."""
    product = codes[0].split("-", 2)[2].rsplit("-", 1)[0]
    row = product_row(product, display_name=display_name, direction=direction)
    data.products.append(row)
    single, dual = {}, {}
    for code in codes:
        if code.startswith("E-2R-"):
            dual["C"] = regional_tariff(
                code, STANDING, day_unit_rate=E7_DAY, night_unit_rate=E7_NIGHT
            )
        else:
            headline = HEADLINE[code]
            single["C"] = regional_tariff(code, STANDING, standard_unit_rate=headline)
        data.rates[(code, "standing-charges")] = _open_rate(STANDING)
    data.details[product] = product_detail(row, single=single, dual=dual)


def customers(today: date | None = None) -> OctopusData:
    """The three accounts, the products and their rates; the Go customer exports on Outgoing."""
    today = today or datetime.now(LONDON).date()
    data = OctopusData()
    _product(data, "Octopus Go", GO)
    _product(data, "Flexible Octopus", FLEX, E7)  # one product, single and dual register
    _product(data, "Agile Octopus", AGILE)
    _product(data, "Outgoing Octopus", OUTGOING, direction="EXPORT")
    data.rates[(GO, "standard-unit-rates")] = go_rows(today)
    data.rates[(FLEX, "standard-unit-rates")] = _open_rate(FLEX_RATE)
    data.rates[(OUTGOING, "standard-unit-rates")] = _open_rate(OUTGOING_RATE)
    data.rates[(E7, "day-unit-rates")] = _open_rate(E7_DAY)
    data.rates[(E7, "night-unit-rates")] = _open_rate(E7_NIGHT)
    go_points = [
        meter_point(IMPORT_MPAN, [agreement(GO, SINCE)]),
        meter_point(EXPORT_MPAN, [agreement(OUTGOING, SINCE)], is_export=True),
    ]
    data.accounts[GO_NUMBER] = account(GO_NUMBER, [account_property(1, POST_CODE, go_points)])
    e7_points = [meter_point(IMPORT_MPAN, [agreement(E7, SINCE)], registers=2)]
    data.accounts[E7_NUMBER] = account(E7_NUMBER, [account_property(2, POST_CODE, e7_points)])
    agile_points = [meter_point(IMPORT_MPAN, [agreement(AGILE, SINCE)])]
    data.accounts[AGILE_NUMBER] = account(
        AGILE_NUMBER, [account_property(3, POST_CODE, agile_points)]
    )
    return data
