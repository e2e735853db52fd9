"""An Octopus account's agreements turned into tariffs in our terms, without any network call
(the adapter fetches, this decides).

- The property is found by its post code, compared without spaces and case (`sw1a 1aa` is
  `SW1A1AA`); its electricity meter points split into import and export (`is_export`).
- The agreement current at a moment is the one with `valid_from <= moment < valid_to` (an
  open `valid_to` runs on); its `valid_to` becomes the contract end date.
- The tariff follows from the tariff code and the published rates, never from a product name:
  - `E-1R-AGILE-…` (not Outgoing): a MARKET tariff on the Agile source of the code's region
    (its prices include VAT already: no surcharge);
  - `E-2R-…` (Economy 7): the day and night rates, night in the smart-meter window Octopus
    documents, 00:30-07:30 UTC (economy7_night, which the library sync uses too;
    docs/octopus.md);
  - any other `E-1R-…` (a fixed or variable product, Go, Intelligent Go, Cosy, Flux,
    Outgoing): the unit rates of one local day, which must tile it; one value all day is a
    fixed rate, several are the day's windows. Rates that leave a gap or overlap fail the pull.
- Values are the published inc-VAT pence, as major units (GBP) at 5 decimals; the standing
  charge (pence per day) goes beside the unit rates.

The result is the SDK tariff schema (integrations/sdk_tariff.py) with two additions the pull
reads: `standing_charge` ({value} per day) and, for Agile, `market_rates` / `market_source_id`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tariffconnect.integrations.octopus.answers import (
    Account,
    Agreement,
    ElectricityMeterPoint,
    Property,
    Rate,
)
from tariffconnect.integrations.octopus.codes import CodeInvalid, TariffCode, parse_tariff_code
from tariffconnect.integrations.sdk_tariff import PullFailed
from tariffconnect.market import sources

TIMEZONE = "Europe/London"
LONDON = ZoneInfo(TIMEZONE)
AGILE_PREFIX = "AGILE-"
OUTGOING = "OUTGOING"
# Economy 7 on a smart meter: 00:30-07:30 UTC all year (01:30-08:30 local in summer time), as
# Octopus's help article "What happens to my Economy Seven (E7) tariff when I have a smart
# meter installed?" states. Older meters vary by meter, not by supplier: not known from the API.
# The one source of the night hours for both the adapter and the library sync: economy7_night.
NIGHT_UTC = (time(0, 30), time(7, 30))
PENCE = Decimal(100)
QUANTUM = Decimal("0.00001")  # the 5 decimals our rates keep
_SPACES = re.compile(r"\s+")

Json = dict[str, Any]


def economy7_night(day: date) -> tuple[time, time]:
    """The Economy 7 night window on London day `day`, as its local clock shows it:
    NIGHT_UTC is fixed in UTC, so 00:30-07:30 in GMT and 01:30-08:30 in summer time (BST).
    Both the adapter's pull and the library sync take the night hours from here."""
    on, off = (datetime.combine(day, moment, UTC).astimezone(LONDON).time() for moment in NIGHT_UTC)
    return on, off


def normalised_post_code(text: str) -> str:
    """A post code for comparison: no spaces, upper case."""
    return _SPACES.sub("", text).upper()


def properties_at(account: Account, post_code: str) -> list[Property]:
    """The account's properties whose post code is `post_code` (normalised comparison)."""
    wanted = normalised_post_code(post_code)
    return [p for p in account.properties if normalised_post_code(p.postcode) == wanted]


def import_points(prop: Property) -> list[ElectricityMeterPoint]:
    return [point for point in prop.electricity_meter_points if not point.is_export]


def export_points(prop: Property) -> list[ElectricityMeterPoint]:
    return [point for point in prop.electricity_meter_points if point.is_export]


def current_agreement(point: ElectricityMeterPoint, at: datetime) -> Agreement | None:
    """The meter point's agreement in force at `at`, or None (none yet, or all ended)."""
    current = [
        a
        for a in point.agreements
        if a.valid_from <= at and (a.valid_to is None or at < a.valid_to)
    ]
    if len(current) > 1:
        raise PullFailed(f"meter point {point.mpan} has overlapping agreements")
    return current[0] if current else None


def tariff_code(agreement: Agreement) -> TariffCode:
    """The agreement's tariff code taken apart; PullFailed when it is not an electricity one."""
    try:
        parsed = parse_tariff_code(agreement.tariff_code)
    except CodeInvalid:
        raise PullFailed("the agreement's tariff code is not an Octopus tariff code") from None
    if parsed.fuel != "E":
        raise PullFailed("the agreement is not for electricity")
    return parsed


def is_agile_import(code: TariffCode) -> bool:
    return code.product_code.startswith(AGILE_PREFIX) and OUTGOING not in code.product_code


def agile_source_id(code: TariffCode) -> str:
    """The market source (`mrs_…`) publishing the Agile prices of the code's region."""
    group = f"_{code.region}"
    for source in sources.all_sources():
        if sources.gsp_group(source) == group:
            return source.id
    raise PullFailed(f"no market source publishes Agile prices for region {code.region}")


def market_tariff(
    display_name: str,
    code: TariffCode,
    agreement: Agreement,
    standing: Sequence[Rate],
    at: datetime,
) -> Json:
    """Agile: follows its region's source, no surcharge."""
    return _tariff(
        display_name,
        agreement,
        [_all_day([{"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [_no_surcharge()]}])],
        standing,
        at,
        market={"market_rates": True, "market_source_id": agile_source_id(code)},
    )


def day_night_tariff(
    display_name: str,
    agreement: Agreement,
    day_rates: Sequence[Rate],
    night_rates: Sequence[Rate],
    standing: Sequence[Rate],
    at: datetime,
) -> Json:
    """Economy 7: the day and night rates current at `at`, the night in local clock time as
    it is at `at`; the tariff expires at the next clock change, so the pull re-reads it then
    (when the local night window moves by an hour)."""
    day, night = _value_at(day_rates, at, "day"), _value_at(night_rates, at, "night")
    start, end = (moment.strftime("%H:%M:%S") for moment in economy7_night(_london_day(at)))
    hours = [
        {"valid_from": end, "valid_to": start, "rate": [{"value": day}]},
        {"valid_from": start, "valid_to": end, "rate": [{"value": night}]},
    ]
    out = _tariff(display_name, agreement, [_all_day(hours)], standing, at)
    change = next_clock_change(at)
    ends = agreement.valid_to
    out["provider_tariff_expiry_date"] = _iso(change if ends is None else min(change, ends))
    return out


def rates_tariff(
    display_name: str,
    agreement: Agreement,
    unit_rates: Sequence[Rate],
    standing: Sequence[Rate] | None,
    day: date,
) -> Json:
    """A single-register tariff from the unit rates of local `day`: fixed when one value covers
    it, else the day's windows (Go, Cosy, Flux, ...). PullFailed when they do not tile it.
    `standing` None: the tariff has none (an export tariff)."""
    start = datetime.combine(day, time(0), LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    if end - start != timedelta(hours=24):
        raise PullFailed("the day's clock changes: its windows are read from another day")
    covering = sorted(
        (
            r
            for r in unit_rates
            if r.valid_from < end and (r.valid_to is None or r.valid_to > start)
        ),
        key=lambda r: r.valid_from,
    )
    windows: list[tuple[datetime, datetime, Decimal]] = []
    reached = start
    for rate in covering:
        begin = max(rate.valid_from, start)
        if begin > reached:
            raise PullFailed(f"the unit rates leave a gap on {day.isoformat()}")
        if begin < reached:
            raise PullFailed(f"the unit rates overlap on {day.isoformat()}")
        until = end if rate.valid_to is None else min(rate.valid_to, end)
        if windows and windows[-1][2] == rate.value_inc_vat:
            windows[-1] = (windows[-1][0], until, rate.value_inc_vat)
        else:
            windows.append((begin, until, rate.value_inc_vat))
        reached = until
    if reached < end:
        raise PullFailed(f"the unit rates do not cover {day.isoformat()}")
    hours = [
        {
            "valid_from": _local_clock(a),
            "valid_to": _local_clock(b),
            "rate": [{"value": _major(value)}],
        }
        for a, b, value in windows
    ]
    if len(hours) == 1:
        hours[0]["valid_from"] = hours[0]["valid_to"] = "00:00:00"
    return _tariff(display_name, agreement, [_all_day(hours)], standing, start)


def next_clock_change(after: datetime) -> datetime:
    """The first moment after `after` at which Europe/London's UTC offset changes."""
    offset = after.astimezone(LONDON).utcoffset()
    moment = after.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 370):
        moment += timedelta(hours=1)
        if moment.astimezone(LONDON).utcoffset() != offset:
            return moment
    raise AssertionError("Europe/London has no clock change within a year")  # pragma: no cover


# --- shared pieces --------------------------------------------------------------------------


def _tariff(
    display_name: str,
    agreement: Agreement,
    data: list[Json],
    standing: Sequence[Rate] | None,
    at: datetime,
    *,
    market: Json | None = None,
) -> Json:
    out: Json = {
        "display_name": display_name,
        "timezone": TIMEZONE,
        "data": data,
        "contract_end_date": None if agreement.valid_to is None else _iso(agreement.valid_to),
    }
    if standing is not None:
        out["standing_charge"] = {"value": _value_at(standing, at, "standing charge")}
    if agreement.valid_to is not None:
        out["provider_tariff_expiry_date"] = _iso(agreement.valid_to)
    if market is not None:
        out.update(market)
    return out


def _value_at(rates: Sequence[Rate], at: datetime, what: str) -> float:
    """The inc-VAT value in force at `at`, in major units; PullFailed when none is (or the
    direct-debit and other payment methods disagree with no direct-debit row to prefer)."""
    found = [r for r in rates if r.valid_from <= at and (r.valid_to is None or at < r.valid_to)]
    preferred = [r for r in found if r.payment_method in (None, "DIRECT_DEBIT")] or found
    if not preferred:
        raise PullFailed(f"no {what} is published for {_iso(at)}")
    return _major(preferred[0].value_inc_vat)


def _major(pence: Decimal) -> float:
    return float((pence / PENCE).quantize(QUANTUM))


def _local_clock(moment: datetime) -> str:
    """`moment` as local HH:MM:SS."""
    return moment.astimezone(LONDON).strftime("%H:%M:%S")


def _london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _all_day(hours: list[Json]) -> Json:
    return {"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}


def _no_surcharge() -> Json:
    return {"surcharge_fixed": 0, "surcharge_percentage": 0}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
