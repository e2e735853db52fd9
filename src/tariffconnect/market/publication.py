"""When each source's prices are published: the time of day, and the next expected day."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tariffconnect.market.ingest import delivery_zone
from tariffconnect.market.sources import MarketSource

# When a delivery day's prices are out, local time in the delivery zone: SDAC results after
# about 12:45 Brussels time, Agile after about 16:00 London time.
PUBLISHED = {"Europe/Brussels": time(12, 45), "Europe/London": time(16, 0)}
# How often the day-ahead task asks again for what is still missing.
RETRY_EVERY = timedelta(minutes=15)


def next_publication(
    source: MarketSource, *, now: datetime, published_until: datetime | None
) -> datetime:
    """When the source's next day of prices is expected: the publication time on the last
    local day stored, which brings the day after it. Once that time has passed without the
    day (a late auction, a feed down, nothing stored yet), the day-ahead task's next retry."""
    if published_until is None:
        return now + RETRY_EVERY
    zone = delivery_zone(source)
    last_day = (published_until - timedelta(microseconds=1)).astimezone(zone).date()
    expected = datetime.combine(last_day, PUBLISHED[zone.key], tzinfo=zone)
    return expected if expected > now else now + RETRY_EVERY
