"""Words that let a customer recognise a tariff: clock times as their country writes them,
and a library tariff's rates and hours ("7.50 p 00:30-05:30, 28.00 p otherwise", with an en dash).

Used by the hosted pages (translated, in the page's locale) and by the flow API's
`tariffs[].description` (in English, for the location's country), so both say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

import babel.core
import babel.dates
import babel.numbers

from tariffconnect.connect.flow import money, summary
from tariffconnect.tariffs.library import LibraryTariff

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a message for the hosted pages' catalogue (babel extracts `N_`); it is
    translated where it is shown."""
    return message


RATE_FORMAT = "#,##0.00##"  # 7.50, 17.181: two decimals at least, as tariffs are published

ALL_DAY = N_("%(rate)s all day")
IN_WINDOW = N_("%(rate)s %(start)s\u2013%(end)s")
OTHERWISE = N_("%(rate)s otherwise")
MORE_RATES = N_("%(rates)s; other rates on some days or months")
MARKET = N_("follows the market")
MARKET_PLUS = N_("follows the market + %(surcharge)s")


@cache
def twelve_hour(country_code: str | None) -> bool | None:
    """Whether the country writes clock times with am/pm (US, CA, AU, ...): read off the
    short time format of the country's main locale in CLDR. None for no (or an unknown)
    country."""
    if not country_code:
        return None
    try:
        own = babel.core.Locale.parse(f"und_{country_code.upper()}")
    except (ValueError, babel.core.UnknownLocaleError):
        return None
    pattern = str(own.time_formats["short"].pattern)
    return "h" in pattern or "K" in pattern


def clock(value: datetime | time, locale: Any, country_code: str | None) -> str:
    """A time of day in the words of `locale` (a babel Locale) and the hour cycle of the
    country: 00:00 for a GB customer reading English, 12:00 AM for a US one."""
    cycle = twelve_hour(country_code)
    if cycle is None:
        return str(babel.dates.format_time(value, format="short", locale=locale))
    return str(babel.dates.format_skeleton("hm" if cycle else "Hm", value, locale=locale))


def english(country_code: str | None) -> Any:
    """The English of the country (en_GB, en_US, en_DE), else plain English: the flow API's
    descriptions are in English, with the country's numbers and clock."""
    if country_code:
        try:
            return babel.core.Locale.parse(f"en_{country_code.upper()}")
        except (ValueError, babel.core.UnknownLocaleError):
            pass
    return babel.core.Locale.parse("en")


def _rate(major: Any, currency_code: str, locale: Any, per_kwh: bool) -> str:
    """7.50 p (or 24.50 p/kWh): the rate in the unit the pages take rates in."""
    value = money.to_decimal(major) or Decimal(0)
    unit = money.rate_unit(currency_code)
    symbol = unit.minor_symbol or babel.numbers.get_currency_symbol(currency_code, locale=locale)
    text = babel.numbers.format_decimal(value * unit.factor, format=RATE_FORMAT, locale=locale)
    return f"{text}\u00a0{symbol}{'/kWh' if per_kwh else ''}"


def library_tariff(
    tariff: LibraryTariff, *, locale: Any, country_code: str | None, gettext: Gettext
) -> str:
    """The tariff's rates and hours on its first listed day (a schedule of several seasons
    or day types says there are more)."""
    schedule = [entry.model_dump(mode="json") for entry in tariff.schedule]
    first = schedule[0]["days_and_hours"][0]["hours"][0]["rate"][0]
    if tariff.market_rates:
        return _market(first, tariff.currency_code, locale, gettext)
    windows = _windows(schedule[0]["days_and_hours"][0]["hours"])
    if len({cost for _, _, cost in windows}) == 1:
        rate = _rate(windows[0][2], tariff.currency_code, locale, per_kwh=True)
        text = gettext(ALL_DAY) % {"rate": rate}
    else:
        text = _day(windows, tariff.currency_code, locale, country_code, gettext)
    days = sum(len(entry["days_and_hours"]) for entry in schedule)
    return gettext(MORE_RATES) % {"rates": text} if days > 1 else text


def _market(rate: dict[str, Any], currency_code: str, locale: Any, gettext: Gettext) -> str:
    parts = []
    if rate.get("surcharge_fixed"):
        parts.append(_rate(rate["surcharge_fixed"], currency_code, locale, per_kwh=False))
    if rate.get("surcharge_percentage"):
        percent = Decimal(str(rate["surcharge_percentage"]))
        # The locale's own pattern (5 % in German), keeping a fraction of a percent.
        parts.append(
            babel.numbers.format_percent(percent, locale=locale, decimal_quantization=False)
        )
    if not parts:
        return gettext(MARKET)
    return gettext(MARKET_PLUS) % {"surcharge": " + ".join(parts)}


def _windows(hours: Sequence[dict[str, Any]]) -> list[tuple[int, int, Any]]:
    """The day's windows as (start minute, end minute, cost), neighbours of one cost joined,
    across midnight too (Octopus Go's night from 23:30 to 00:30 is one window)."""
    by_minute = summary.by_minute(
        [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in hours]
    )
    day = summary.MINUTES_A_DAY
    starts = [m for m in range(day) if by_minute[m] != by_minute[m - 1]] or [0]
    found = []
    for index, start in enumerate(starts):
        end = starts[(index + 1) % len(starts)]
        found.append((start, end, by_minute[start]))
    return sorted(found)


def _day(
    windows: list[tuple[int, int, Any]],
    currency_code: str,
    locale: Any,
    country_code: str | None,
    gettext: Gettext,
) -> str:
    """Each window's rate and hours, in time order, but the rate of the most hours last as
    "otherwise"."""
    day = summary.MINUTES_A_DAY
    length: dict[Any, int] = {}
    for start, end, cost in windows:
        length[cost] = length.get(cost, 0) + ((end - start) % day or day)
    usual = max(length, key=lambda cost: length[cost])

    def at(minute: int) -> str:
        return clock(time(minute // 60, minute % 60), locale, country_code)

    parts = [
        gettext(IN_WINDOW)
        % {
            "rate": _rate(cost, currency_code, locale, per_kwh=False),
            "start": at(start),
            "end": at(end),
        }
        for start, end, cost in windows
        if cost != usual
    ]
    parts.append(gettext(OTHERWISE) % {"rate": _rate(usual, currency_code, locale, per_kwh=False)})
    return ", ".join(parts)
