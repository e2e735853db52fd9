"""Market sources and their published prices, the same for every account and mode."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

import pycountry
from sqlalchemy.orm import Session

from tariffconnect.core.errors import invalid, not_found
from tariffconnect.core.pagination import PageParams, page_in_memory
from tariffconnect.core.timeutil import as_utc, format_utc
from tariffconnect.core.windows import check_window
from tariffconnect.market import sources, store
from tariffconnect.market.cache import published_days
from tariffconnect.market.schemas import MarketSourceOut, PublishedInterval
from tariffconnect.market.sources import MarketSource


def get_or_raise(*, source_id: str) -> MarketSource:
    """The shipped source with this id, or 404 `market_source_not_found`."""
    source = sources.get(source_id)
    if source is None:
        raise not_found("market_source_not_found", f"No market source {source_id}.")
    return source


def render_all(session: Session, found: Sequence[MarketSource]) -> list[MarketSourceOut]:
    """Wire forms of `found`, each with its latest stored interval."""
    # One indexed look-up per source (a page holds at most 100): a GROUP BY over the whole
    # price history would read every row of every source on PostgreSQL.
    return [
        MarketSourceOut(
            id=source.id,
            display_name=source.display_name,
            bidding_zone=source.bidding_zone,
            country_code=source.country_code,
            region=source.region,
            currency_code=source.currency_code,
            resolution_minutes=source.resolution_minutes,
            publisher=source.publisher,
            feeds=list(source.feeds),
            last_published_interval=_last_interval(session, source.id),
        )
        for source in found
    ]


def render(session: Session, source: MarketSource) -> MarketSourceOut:
    return render_all(session, [source])[0]


def list_(session: Session, *, page: PageParams, country_code: str | None) -> dict[str, Any]:
    """One page of the sources (of one country, if given), by id descending like every list."""
    found = list(reversed(sources.all_sources()))
    if country_code is not None:
        country = _country(country_code)
        found = [source for source in found if source.country_code == country]
    rows, has_more = page_in_memory(found, page)
    data = render_all(session, rows)
    return {"object": "list", "url": "/market_sources", "has_more": has_more, "data": data}


def prices(
    session: Session, *, source_id: str, start_time: datetime, end_time: datetime
) -> dict[str, Any]:
    """The source's published prices over the window (as a dict, ready to serialise)."""
    check_window(start_time, end_time)
    source = get_or_raise(source_id=source_id)
    start, end = as_utc(start_time), as_utc(end_time)
    version = store.versions(session, [source.id]).get(source.id)
    connection = session.connection()
    rows = published_days(connection).window(
        connection, source.id, None if version is None else version.token, start=start, end=end
    )
    # As POST /prices: intervals in end_time's offset (the two usually share one).
    offset = end_time.tzinfo or UTC
    return {
        "object": "market_prices",
        "market_source_id": source.id,
        "currency_code": source.currency_code,
        "data": _series([(max(s, start), min(e, end), p) for s, e, p in rows], offset),
    }


def _series(rows: list[tuple[datetime, datetime, Decimal]], offset: tzinfo) -> list[dict[str, Any]]:
    """The `data` array: touching intervals of one price merged, gaps kept (nothing is
    invented where the feed published nothing), datetimes left for orjson to write."""
    merged: list[tuple[datetime, datetime, Decimal]] = []
    for start, end, value in rows:
        if merged and merged[-1][1] == start and merged[-1][2] == value:
            merged[-1] = (merged[-1][0], end, value)
        else:
            merged.append((start, end, value))
    shift = offset.utcoffset(None) != timedelta(0)
    return [
        {
            "valid_from": start.astimezone(offset) if shift else start,
            "valid_to": end.astimezone(offset) if shift else end,
            "price": {"value": float(value), "confidence": 1.0},
        }
        for start, end, value in merged
    ]


@cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in _countries():
        raise invalid(
            "country_code_invalid", "country_code must be an ISO 3166-1 alpha-2 code, such as DE."
        )
    return code


def _last_interval(session: Session, source_id: str) -> PublishedInterval | None:
    last = store.last_published(session, source_id=source_id)
    if last is None:
        return None
    return PublishedInterval(start=format_utc(last[0]), end=format_utc(last[1]))
