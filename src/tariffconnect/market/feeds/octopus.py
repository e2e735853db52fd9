"""Octopus Energy's Agile import tariff: the half-hourly unit rates of each GB region, read from
Octopus's public REST API (no key). The current Agile product is discovered, never hard-coded:
Octopus launches a new one (AGILE-24-10-01, ...) every year or two."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from tariffconnect.config import Settings
from tariffconnect.market import sources
from tariffconnect.market.feeds.base import FeedError, PricePoint
from tariffconnect.market.feeds.http import get
from tariffconnect.market.sources import MarketSource

NAME = "OCTOPUS"
CURRENCY = "GBP"
AGILE_PREFIX = "AGILE-"
EXPORT_PREFIX = "AGILE-OUTGOING"  # the export tariff, also "AGILE-…", pays for exported energy
PAYMENT_METHOD = "direct_debit_monthly"
SLOT = timedelta(minutes=30)
PAGE_SIZE = "1500"  # the API's largest page: a month of half hours in one answer
MAX_PAGES = 20  # a `next` chain longer than this is a loop, not data
# Codes go into URL paths, so only what Octopus codes look like is accepted.
_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,80}")
_GSP_GROUP_RE = re.compile(r"_[A-P]")

Clock = Callable[[], datetime]
Json = dict[str, Any]


class OctopusAgileFeed:
    """Agile Octopus unit rates (GBP/kWh, VAT included) for the 14 GB regional sources."""

    name: ClassVar[str] = NAME

    def __init__(
        self, settings: Settings, client: httpx.Client, *, clock: Clock | None = None
    ) -> None:
        self._base = settings.octopus_url.rstrip("/")
        self._client = client
        self._clock = clock or (lambda: datetime.now(UTC))
        # The product and its regional tariffs, found once per feed instance: a fetch of all
        # 14 regions then costs 14 rate requests, not 42.
        self._agile: tuple[str, dict[str, str]] | None = None

    def covers(self, source: MarketSource) -> bool:
        """Whether `source` is a GB region with a GSP group."""
        return sources.gsp_group(source) is not None

    def fetch(self, source: MarketSource, *, start: datetime, end: datetime) -> list[PricePoint]:
        """The Agile rates of `source`'s region starting in [start, end)."""
        group = sources.gsp_group(source)
        if group is None:
            raise FeedError(f"{NAME}: {source.slug} is not a GB region")
        product, tariffs = self._current_agile()
        tariff = tariffs.get(group)
        if tariff is None:
            raise FeedError(f"{NAME}: {product} has no tariff for GSP group {group}")
        url = f"{self._base}/products/{product}/electricity-tariffs/{tariff}/standard-unit-rates/"
        params = {"period_from": _iso(start), "period_to": _iso(end), "page_size": PAGE_SIZE}
        rows = list(self._results(url, params, what=f"unit rates of {tariff}"))
        return [p for p in unit_rates(rows) if start <= p.start < end]

    def _current_agile(self) -> tuple[str, dict[str, str]]:
        if self._agile is None:
            products = self._results(f"{self._base}/products/", {}, what="products")
            code = agile_product(products, now=self._clock())
            detail = self._json(f"{self._base}/products/{code}/", {}, what=f"product {code}")
            self._agile = (code, regional_tariffs(detail))
        return self._agile

    def _results(self, url: str, params: Mapping[str, str], *, what: str) -> Iterator[Json]:
        """Every row of a paginated list, following `next` while it stays on the API."""
        next_url: str | None = url
        query: Mapping[str, str] | None = params
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            page = self._json(next_url, query, what=what)
            rows, next_url = page.get("results"), page.get("next")
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise FeedError(f"{NAME}: {what}: no list of results")
            yield from rows
            if next_url is not None and not _on_api(next_url, self._base):
                raise FeedError(f"{NAME}: {what}: the next page is not on the API")
            query = None  # `next` carries the query already
        raise FeedError(f"{NAME}: {what}: more than {MAX_PAGES} pages")

    def _json(self, url: str, params: Mapping[str, str] | None, *, what: str) -> Json:
        try:
            response = get(self._client, url, params=params, expect="json", feed=NAME)
        except FeedError as error:
            raise FeedError(f"{error} ({what})") from None
        try:
            # Decimal, not float: the rates are published to 4-5 decimals and stay exact.
            answer = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise FeedError(f"{NAME}: {what}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise FeedError(f"{NAME}: {what}: the answer is not an object")
        return answer


def agile_product(products: Iterable[Json], *, now: datetime) -> str:
    """The code of the Agile import product on sale at `now` (the newest, should two be)."""
    found: list[tuple[datetime, str]] = []
    for product in products:
        code = product.get("code")
        if not isinstance(code, str) or not _is_agile_import(product):
            continue
        since = _optional_time(product.get("available_from"), "available_from")
        until = _optional_time(product.get("available_to"), "available_to")
        if (since is None or since <= now) and (until is None or now < until):
            found.append((since or datetime.min.replace(tzinfo=UTC), _code(code)))
    if not found:
        raise FeedError(f"{NAME}: no Agile import product is on sale")
    return max(found)[1]


def _is_agile_import(product: Json) -> bool:
    code = str(product.get("code"))
    return (
        code.startswith(AGILE_PREFIX)
        and not code.startswith(EXPORT_PREFIX)
        and product.get("direction") == "IMPORT"
        and product.get("is_variable") is True
        and product.get("is_prepay") is False
        and product.get("is_business") is False
    )


def regional_tariffs(product: Json) -> dict[str, str]:
    """GSP group -> the single-register electricity tariff code paid by direct debit."""
    by_group = product.get("single_register_electricity_tariffs")
    if not isinstance(by_group, dict):
        raise FeedError(f"{NAME}: the product lists no electricity tariffs")
    tariffs: dict[str, str] = {}
    for group, methods in by_group.items():
        if not _GSP_GROUP_RE.fullmatch(group) or not isinstance(methods, dict):
            continue
        chosen = methods.get(PAYMENT_METHOD)
        if chosen is None and len(methods) == 1:
            chosen = next(iter(methods.values()))  # one way to pay: that is the tariff
        if isinstance(chosen, dict) and isinstance(chosen.get("code"), str):
            tariffs[group] = _code(chosen["code"])
    return tariffs


def unit_rates(rows: list[Json]) -> list[PricePoint]:
    """Half-hour PricePoints in GBP/kWh from unit rate rows (p/kWh, any order), sorted."""
    points = sorted((_rate(row) for row in rows), key=lambda point: point.start)
    kept: list[PricePoint] = []
    for point in points:
        if kept and point.start < kept[-1].start + SLOT:
            if point == kept[-1]:
                continue  # the same rate twice: a page boundary moved as rates were published
            raise FeedError(f"{NAME}: overlapping rates at {_iso(point.start)}")
        kept.append(point)
    return kept


def _rate(row: Json) -> PricePoint:
    start = _time(row.get("valid_from"), "valid_from")
    end = _time(row.get("valid_to"), "valid_to")
    if end - start != SLOT:
        minutes = (end - start) / timedelta(minutes=1)
        raise FeedError(f"{NAME}: a rate of {minutes:g} minutes at {_iso(start)}, not 30")
    pence = row.get("value_inc_vat")
    if not isinstance(pence, Decimal | int) or isinstance(pence, bool):
        raise FeedError(f"{NAME}: value_inc_vat at {_iso(start)} is not a number")
    if not Decimal(pence).is_finite():
        raise FeedError(f"{NAME}: value_inc_vat at {_iso(start)} is not a number")
    return PricePoint(start=start, minutes=30, value=Decimal(pence) / 100, currency=CURRENCY)


def _time(value: object, field: str) -> datetime:
    parsed = _optional_time(value, field)
    if parsed is None:
        raise FeedError(f"{NAME}: a rate without {field}")
    return parsed


def _optional_time(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise FeedError(f"{NAME}: {field} {value!r} is not a time") from None
    if parsed.tzinfo is None:
        raise FeedError(f"{NAME}: {field} {value!r} has no time zone")
    return parsed.astimezone(UTC)


def _code(code: str) -> str:
    if not _CODE_RE.fullmatch(code):
        raise FeedError(f"{NAME}: {code!r} is not a product or tariff code")
    return code


def _on_api(url: object, base: str) -> bool:
    return isinstance(url, str) and url.startswith(f"{base}/")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
