"""The ECB euro foreign-exchange reference rates, from the ECB Data Portal's SDMX REST API
(dataflow EXR, series D.<currency>.EUR.SP00.A), to convert EUR day-ahead prices into a
location's own currency at the rate of the delivery day.

The answer is asked for as CSV (`format=csvdata`): one row per observation, the value as the
text the ECB published ("11.4665"), so it becomes an exact Decimal without passing through a
float, and the row's TIME_PERIOD is beside it (SDMX-JSON keeps values as JSON numbers and
dates in a separate index table)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

import httpx

from tariffconnect.config import Settings
from tariffconnect.market.feeds.base import FeedError, FeedRefused
from tariffconnect.market.feeds.http import get

# The ECB publishes on TARGET working days only; the longest closure (Christmas into a
# weekend, or Good Friday to Easter Monday) is 4 days, so a week before `first` always holds
# the rate that applies on `first`.
LOOKBACK_DAYS = 7

FEED = "ECB"
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# As published: digits with a decimal point. Decimal() alone would also take "NaN",
# "Infinity", "1_000" and "1e3".
PUBLISHED_NUMBER = re.compile(r"\d+(\.\d+)?")
# A daily TIME_PERIOD; date.fromisoformat alone would also take "2025-W52" and "20251222".
PUBLISHED_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class EcbRates:
    """Units of a currency per 1 EUR, for every calendar day of a range."""

    name: ClassVar[str] = FEED

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self._base_url = settings.ecb_url.rstrip("/")
        self._client = client

    def rates(self, currency: str, *, first: date, last: date) -> dict[date, Decimal]:
        """`currency` per 1 EUR on each day from `first` to `last` inclusive: the day's
        reference rate, or else the latest one published before it."""
        if first > last:
            raise ValueError(f"first ({first}) is after last ({last})")
        if currency == "EUR":
            return {day: Decimal(1) for day in _days(first, last)}
        if not CURRENCY_CODE.fullmatch(currency):
            raise FeedError(f"{FEED}: {currency!r} is not an ISO 4217 currency code")
        published = self._published(currency, start=first - timedelta(days=LOOKBACK_DAYS), end=last)
        return _every_day(published, currency=currency, first=first, last=last)

    def _published(self, currency: str, *, start: date, end: date) -> dict[date, Decimal]:
        """The reference rates the ECB published for `currency` from `start` to `end`."""
        params = {
            "startPeriod": start.isoformat(),
            "endPeriod": end.isoformat(),
            "format": "csvdata",
        }
        url = f"{self._base_url}/data/EXR/{series_key(currency)}"
        try:
            response = get(self._client, url, params=params, expect="csv", feed=FEED)
        except FeedRefused as error:
            # The ECB documents 404 as "no results matching the query": a currency it does
            # not publish, or none published in the window.
            if error.status == 404:
                raise FeedError(
                    f"{FEED}: no {currency} reference rates from {start} to {end} (HTTP 404)"
                ) from None
            raise
        return parse_csv(response.text, currency=currency)


def series_key(currency: str) -> str:
    """The EXR series of the daily reference rate of `currency` against the euro."""
    return f"D.{currency}.EUR.SP00.A"


def parse_csv(text: str, *, currency: str) -> dict[date, Decimal]:
    """The observations of an EXR csvdata answer for `currency`, by day."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"KEY", "TIME_PERIOD", "OBS_VALUE"} - set(reader.fieldnames or [])
    if missing:
        raise FeedError(f"{FEED}: the answer is not EXR csvdata (no {', '.join(sorted(missing))})")
    wanted_key = f"EXR.{series_key(currency)}"
    published: dict[date, Decimal] = {}
    for row in reader:
        where = f"{FEED}: {currency} row {reader.line_num}"
        if None in row or None in row.values():
            raise FeedError(f"{where}: has not as many fields as the header")
        if row["KEY"] != wanted_key:
            raise FeedError(f"{where}: series {row['KEY']!r}, not {wanted_key}")
        day = _day(row["TIME_PERIOD"], where=where)
        value = _value(row["OBS_VALUE"], where=where)
        if published.setdefault(day, value) != value:
            raise FeedError(f"{where}: a second, different rate for {day}")
    if not published:
        raise FeedError(f"{FEED}: the answer holds no {currency} rates")
    return published


def _day(text: str, *, where: str) -> date:
    try:
        if PUBLISHED_DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise FeedError(f"{where}: TIME_PERIOD {text!r} is not a day")


def _value(text: str, *, where: str) -> Decimal:
    if not PUBLISHED_NUMBER.fullmatch(text) or Decimal(text) == 0:
        raise FeedError(f"{where}: OBS_VALUE {text!r} is not a rate")
    return Decimal(text)


def _every_day(
    published: dict[date, Decimal], *, currency: str, first: date, last: date
) -> dict[date, Decimal]:
    """Each day's rate: its own, or the latest published before it (weekends, TARGET
    holidays, a day whose rate is not out yet)."""
    known = sorted(published.items())
    rates: dict[date, Decimal] = {}
    latest: Decimal | None = None
    index = 0
    for day in _days(first, last):
        while index < len(known) and known[index][0] <= day:
            latest = known[index][1]
            index += 1
        if latest is None:
            raise FeedError(f"{FEED}: no {currency} rate on or before {day} in the answer")
        rates[day] = latest
    return rates


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
