"""Prices from a CSV file, for operators without outbound internet (`tariffconnect market
import`). Columns, with a header row: `start` (RFC 3339 with an offset or Z), `minutes` (15, 30
or 60) and `price` (the source's currency per kWh, a dot for decimals). The whole file is
checked before anything is stored, and stored in one transaction, or not at all."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from tariffconnect.market import ingest, store, validation
from tariffconnect.market.feeds.base import PricePoint
from tariffconnect.market.sources import MarketSource

COLUMNS = ("start", "minutes", "price")
FEED = "IMPORT"


class CsvError(ValueError):
    """The file cannot be imported; the message names the line."""


def read(lines: Iterable[str], source: MarketSource) -> list[store.Row]:
    """Parse and check the file's prices for `source`; raise CsvError on the first problem."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != COLUMNS:
        raise CsvError(f"line 1: the header must be {','.join(COLUMNS)}")
    points = [_point(dict(row), line, source) for line, row in enumerate(reader, start=2)]
    if not points:
        raise CsvError("the file has no prices")
    checked = validation.check(points, zone=ingest.delivery_zone(source), whole_days=False)
    if checked.rejected:
        raise CsvError("; ".join(checked.rejected.values()))
    return [store.Row(p.start, p.minutes, p.value) for p in points]


def _point(row: dict[str | None, str | None], line: int, source: MarketSource) -> PricePoint:
    if None in row or None in row.values():
        raise CsvError(f"line {line}: expected {len(COLUMNS)} columns")
    return _parsed({k: v for k, v in row.items() if k and v is not None}, line, source)


def _parsed(row: dict[str, str], line: int, source: MarketSource) -> PricePoint:
    try:
        start = datetime.fromisoformat(row["start"].strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise CsvError(f"line {line}: start {row['start']!r} is not an RFC 3339 time") from None
    if start.tzinfo is None:
        raise CsvError(f"line {line}: start {row['start']!r} has no offset")
    minutes = row["minutes"].strip()
    if minutes not in ("15", "30", "60"):
        raise CsvError(f"line {line}: minutes must be 15, 30 or 60, not {minutes!r}")
    try:
        price = Decimal(row["price"].strip())
    except InvalidOperation:
        raise CsvError(f"line {line}: price {row['price']!r} is not a number") from None
    if not price.is_finite():
        raise CsvError(f"line {line}: price {row['price']!r} is not a number")
    return PricePoint(start.astimezone(UTC), int(minutes), price, source.currency_code)
