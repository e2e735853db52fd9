"""ENTSO-E Transparency Platform: day-ahead prices (documentType A44) of one bidding zone.

The platform answers a Publication_MarketDocument (IEC 62325-451-3) of TimeSeries, each with
Periods of Points, or an Acknowledgement_MarketDocument when it has nothing (reason 999).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import ClassVar

import httpx

from tariffconnect.config import Settings
from tariffconnect.market.feeds import http
from tariffconnect.market.feeds.base import FeedError, FeedOff, PricePoint
from tariffconnect.market.sources import MarketSource

NAME = "ENTSOE"

# bidding_zone (as in data/market_sources.json) -> the zone's EIC code (BZN|…) on the platform.
# Taken from the platform's area list as entsoe-py carries it (entsoe/mappings.py), checked
# against a second public list and each code's check character (EIC weighted modulo 37).
EIC_CODES: dict[str, str] = {
    "AT": "10YAT-APG------L",
    "BE": "10YBE----------2",
    "DE-LU": "10Y1001A1001A82H",
    "DK1": "10YDK-1--------W",
    "DK2": "10YDK-2--------M",
    "ES": "10YES-REE------0",
    "FI": "10YFI-1--------U",
    "FR": "10YFR-RTE------C",
    "IT-North": "10Y1001A1001A73I",
    "IT-Centre-North": "10Y1001A1001A70O",
    "IT-Centre-South": "10Y1001A1001A71M",
    "IT-South": "10Y1001A1001A788",
    "IT-Calabria": "10Y1001C--00096J",
    "IT-Sicily": "10Y1001A1001A75E",
    "IT-Sardinia": "10Y1001A1001A74G",
    "NL": "10YNL----------L",
    "NO1": "10YNO-1--------2",
    "NO2": "10YNO-2--------T",
    "NO3": "10YNO-3--------J",
    "NO4": "10YNO-4--------9",
    "NO5": "10Y1001A1001A48H",
    "PL": "10YPL-AREA-----S",
    "SE1": "10Y1001A1001A44P",
    "SE2": "10Y1001A1001A45N",
    "SE3": "10Y1001A1001A46L",
    "SE4": "10Y1001A1001A47J",
}

RESOLUTION_MINUTES = {"PT15M": 15, "PT30M": 30, "PT60M": 60}
DAY_AHEAD = "A01"  # contract_MarketAgreement.type; A07 (intraday) also appears for ES
# DE-LU and AT carry a second price series, EXAA's 10:15 auction, as classification sequence
# 2; the SDAC (coupled day-ahead) price is sequence 1. A series without a sequence is SDAC.
SDAC_SEQUENCE = "1"
NO_DATA_REASON = "999"
CURRENCY = "EUR"  # the ingest converts to the source's currency
MAX_REASON = 300  # characters of a failure's reason, the platform's text included


class EntsoeFeed:
    """Day-ahead prices from the ENTSO-E Transparency Platform RESTful API."""

    name: ClassVar[str] = NAME

    def __init__(self, settings: Settings, client: httpx.Client) -> None:
        self._settings = settings
        self._client = client

    def covers(self, source: MarketSource) -> bool:
        """Whether the platform has a bidding zone code for `source`."""
        return source.bidding_zone in EIC_CODES

    def fetch(self, source: MarketSource, *, start: datetime, end: datetime) -> list[PricePoint]:
        """The SDAC prices of `source` starting in [start, end), in EUR per kWh."""
        token = self._settings.entsoe_token
        if not token:
            raise FeedOff(f"{NAME}: no security token (TARIFFCONNECT_ENTSOE_TOKEN)")
        eic = EIC_CODES.get(source.bidding_zone)
        if eic is None:
            raise FeedError(f"{NAME}: no EIC code for bidding zone {source.bidding_zone}")
        params = {
            "documentType": "A44",
            "in_Domain": eic,
            "out_Domain": eic,
            "periodStart": _api_minute(start),
            "periodEnd": _api_minute(end),
            "contract_MarketAgreement.type": DAY_AHEAD,
            "securityToken": token,
        }
        url = self._settings.entsoe_url
        response = http.get(self._client, url, params=params, expect="xml", feed=NAME)
        try:
            points = parse_prices(response.content)
        except FeedError as error:
            # An acknowledgement's text is the platform's own; keep the token out of it anyway.
            reason = str(error).replace(token, "***")
            raise FeedError(reason[:MAX_REASON]) from None
        return [point for point in points if start <= point.start < end]


def parse_prices(content: bytes) -> list[PricePoint]:
    """Every SDAC day-ahead price in an A44 answer, by start; [] for "no matching data"."""
    root = _parse_xml(content)
    namespace, _, kind = root.tag.rpartition("}")
    ns = f"{namespace}}}" if namespace else ""
    if kind == "Acknowledgement_MarketDocument":
        return _acknowledged(root, ns)
    if kind != "Publication_MarketDocument":
        raise FeedError(f"{NAME}: answered a {kind} document, not a price document")
    by_start: dict[datetime, PricePoint] = {}
    for series in root.iterfind(f"{ns}TimeSeries"):
        if not _is_sdac_day_ahead(series, ns):
            continue
        for point in _series_points(series, ns):
            seen = by_start.setdefault(point.start, point)
            if seen != point:
                raise FeedError(f"{NAME}: two different prices from {point.start.isoformat()}")
    return [by_start[start] for start in sorted(by_start)]


def _parse_xml(content: bytes) -> ET.Element:
    # The platform never sends a DTD; refusing one leaves no entity expansion to worry about
    # (defusedxml is not a dependency here).
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise FeedError(f"{NAME}: the answer declares a DTD, which the platform never sends")
    try:
        return ET.fromstring(content)  # noqa: S314 (DTD refused above)
    except ET.ParseError as error:
        line, column = error.position
        raise FeedError(
            f"{NAME}: malformed or truncated XML (line {line}, column {column})"
        ) from None


def _acknowledged(root: ET.Element, ns: str) -> list[PricePoint]:
    reasons = [
        (_text(reason, f"{ns}code"), _text(reason, f"{ns}text"))
        for reason in root.iterfind(f"{ns}Reason")
    ]
    if any(code == NO_DATA_REASON for code, _ in reasons):
        return []
    shown = "; ".join(f"{code} {text}" for code, text in reasons) or "no reason given"
    raise FeedError(f"{NAME}: request refused ({shown})")


def _is_sdac_day_ahead(series: ET.Element, ns: str) -> bool:
    contract = _text(series, f"{ns}contract_MarketAgreement.type") or DAY_AHEAD
    sequence = (
        _text(series, f"{ns}classificationSequence_AttributeInstanceComponent.position")
        or SDAC_SEQUENCE
    )
    return contract == DAY_AHEAD and sequence == SDAC_SEQUENCE


def _series_points(series: ET.Element, ns: str) -> Iterator[PricePoint]:
    currency = _text(series, f"{ns}currency_Unit.name") or CURRENCY
    if currency != CURRENCY:
        raise FeedError(f"{NAME}: prices in {currency}, not {CURRENCY}")
    unit = _text(series, f"{ns}price_Measure_Unit.name") or "MWH"
    if unit != "MWH":
        raise FeedError(f"{NAME}: prices per {unit}, not per MWH")
    curve = _text(series, f"{ns}curveType") or "A01"
    if curve not in ("A01", "A03"):
        raise FeedError(f"{NAME}: curve type {curve} is not A01 or A03")
    for period in series.iterfind(f"{ns}Period"):
        yield from _period_points(period, ns, repeat_left_out=curve == "A03")


def _period_points(period: ET.Element, ns: str, *, repeat_left_out: bool) -> Iterator[PricePoint]:
    start = _instant(period, f"{ns}timeInterval/{ns}start")
    end = _instant(period, f"{ns}timeInterval/{ns}end")
    resolution = _text(period, f"{ns}resolution")
    minutes = RESOLUTION_MINUTES.get(resolution)
    if minutes is None:
        raise FeedError(f"{NAME}: resolution {resolution or 'missing'} is not PT15M/PT30M/PT60M")
    step = timedelta(minutes=minutes)
    count, rest = divmod(end - start, step)
    if count < 1 or rest:
        raise FeedError(f"{NAME}: period {start:%Y-%m-%dT%H:%MZ} is not whole {resolution} steps")
    prices = _prices_by_position(period, ns, count)
    # Curve A03 leaves a position out when its price repeats the previous position's, up to
    # the period's end; A01 lists every position it has.
    price: Decimal | None = None
    for position in range(1, count + 1):
        if position in prices:
            price = prices[position]
        elif not repeat_left_out:
            continue
        if price is None:
            raise FeedError(f"{NAME}: an A03 period without position 1")
        yield PricePoint(start + (position - 1) * step, minutes, price.scaleb(-3), CURRENCY)


def _prices_by_position(period: ET.Element, ns: str, count: int) -> dict[int, Decimal]:
    prices: dict[int, Decimal] = {}
    for point in period.iterfind(f"{ns}Point"):
        raw_position = _text(point, f"{ns}position")
        raw_price = _text(point, f"{ns}price.amount")
        if not raw_position.isdigit() or not 1 <= int(raw_position) <= count:
            raise FeedError(f"{NAME}: point position {raw_position!r} is outside 1-{count}")
        position = int(raw_position)
        if position in prices:
            raise FeedError(f"{NAME}: position {position} appears twice in one period")
        prices[position] = _decimal(raw_price, position)
    return prices


def _decimal(raw: str, position: int) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise FeedError(f"{NAME}: price {raw!r} at position {position} is not a number")
    return value


def _instant(element: ET.Element, path: str) -> datetime:
    raw = _text(element, path)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise FeedError(f"{NAME}: time {raw!r} is not an ISO 8601 instant") from None
    if when.tzinfo is None:
        raise FeedError(f"{NAME}: time {raw!r} has no UTC offset")
    return when.astimezone(UTC)


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _api_minute(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("ENTSO-E periods need aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")
