"""Storing market prices in tests the one way the service does: `store.upsert`, which gives
the source a new version, so every process's cached days of it are dropped."""

from datetime import datetime, timedelta
from decimal import Decimal

from tariffconnect.market import store


def publish(database, source_id: str, start: datetime, prices, minutes: int = 15) -> None:
    """`prices` (numbers as text or Decimal) from `start` (aware), one every `minutes`."""
    rows = [
        store.Row(start + timedelta(minutes=minutes * i), minutes, Decimal(price))
        for i, price in enumerate(prices)
    ]
    with database.transaction() as session:
        store.upsert(session, source_id=source_id, rows=rows, feed="ENTSOE", now=start)
