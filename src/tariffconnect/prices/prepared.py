"""Published market days prepared for the engine, kept per process.

`MarketPrices` checks and converts every interval it is given (microsecond times, UTC
datetimes, runs of back-to-back intervals). For a 90-day window at 15 minutes that was the
largest part of a /prices request the series cache could not answer (a new window, a tariff
just changed), repeated on every such request although the days rarely change. So each day of
market/cache.py's published days is prepared once, kept here under the source's version token
(a new token means new days: the old ones age out), and a window's days are joined with
`MarketPrices.joined`, which checks only where they meet.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime

from sqlalchemy import Connection

from tariffconnect.market.cache import PublishedDays
from tariffconnect.prices.engine import MarketPrices

MAX_DAYS = 4096  # as many as market/cache.py keeps

_lock = threading.Lock()
# By (source, version token, UTC day). Tokens are random, so databases never share a key.
_prepared: OrderedDict[tuple[str, str, date], MarketPrices] = OrderedDict()


def market_prices(
    connection: Connection,
    days: PublishedDays,
    source_id: str,
    token: str | None,
    *,
    start: datetime,
    end: datetime,
) -> MarketPrices:
    """The source's published intervals of every UTC day that [start, end) touches, whole
    days (the engine slices what it needs)."""
    if token is None:
        return MarketPrices(())
    parts = []
    for day, intervals in days.days(connection, source_id, token, start=start, end=end):
        key = (source_id, token, day)
        with _lock:
            found = _prepared.get(key)
            if found is not None:
                _prepared.move_to_end(key)
        if found is None:
            found = MarketPrices(intervals)
            with _lock:
                _prepared[key] = found
                while len(_prepared) > MAX_DAYS:
                    _prepared.popitem(last=False)
        parts.append(found)
    return MarketPrices.joined(parts)
