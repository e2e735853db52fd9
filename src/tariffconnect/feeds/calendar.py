"""The calendar feed: the cheapest `hours` of each local day, as an RFC 5545 calendar that
any calendar app can subscribe to.

Each day is priced on its own (`prices.service.intervals`, the series /prices answers) and
handed to the schedules' solver for the cheapest duration (`schedules.duration.split`, as
`POST /schedules/duration` with `continuous` false answers it): the cheapest hours, in as
many windows as it takes, the earliest of equal prices first. Days run from today while
their prices are all published; a market day still forecast is left out, since its cheapest
hours may yet move.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.feeds import cache
from tariffconnect.feeds.homeassistant import day_start
from tariffconnect.feeds.tokens import Feed
from tariffconnect.prices import service as prices
from tariffconnect.schedules import duration
from tariffconnect.schedules.spans import Span

MIN_HOURS, MAX_HOURS = 1, 23  # 23: every local day has that many, the spring-forward one too
DEFAULT_HOURS = 3
DAYS = 7  # at most: a fixed tariff has prices for every day; a market one for a day or two
REFRESH = timedelta(hours=1)


def parse_hours(raw: str | None) -> int:
    """`?hours=N`: a whole number of hours from MIN_HOURS to MAX_HOURS; 400 `hours_invalid`."""
    if raw is None:
        return DEFAULT_HOURS
    if not (raw.isascii() and raw.isdigit()) or not MIN_HOURS <= int(raw) <= MAX_HOURS:
        raise invalid(
            "hours_invalid", f"hours must be a whole number from {MIN_HOURS} to {MAX_HOURS}."
        )
    return int(raw)


def body(session: Session, *, feed: Feed, hours: int, now: datetime) -> bytes:
    """The calendar's text: one event per cheapest window of each day that has prices."""
    today = day_start(now, ZoneInfo(feed.timezone))

    def render(inputs: cache.Inputs) -> bytes:
        return _render(session, feed=feed, inputs=inputs, hours=hours, today=today, now=now)

    # The same body all day, until a price changes (calendar apps poll hourly or so).
    return cache.body(session, feed=feed, kind="ics", window=(today, hours), render=render)


def _render(
    session: Session,
    *,
    feed: Feed,
    inputs: cache.Inputs,
    hours: int,
    today: datetime,
    now: datetime,
) -> bytes:
    location = inputs.location
    zone = ZoneInfo(location.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//TariffConnect//Cheapest hours//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Cheapest {hours} h")
    calendar.add("x-wr-timezone", location.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    start = today
    for _ in range(DAYS):
        end = day_start(start + timedelta(hours=26), zone)
        try:
            series = prices.intervals(
                session, location, inputs.priced, start=start, end=end, versions=inputs.versions
            )
        except ApiError as error:
            if error.code == "no_price_data":
                break
            raise
        if any(interval.confidence < 1 for interval in series):
            break
        spans = duration.split(series, duration=timedelta(hours=hours), segment="LOW")
        for span in spans:
            calendar.add_component(
                _event(span, hours=hours, currency=location.currency_code, feed=feed, now=now)
            )
        start = end
    return bytes(calendar.to_ical())


def _event(span: Span, *, hours: int, currency: str, feed: Feed, now: datetime) -> Event:
    event = Event()
    # Stable while the window stays: a calendar app updates it in place, and drops it when a
    # price change moves the window (a new one appears with its own UID).
    event.add("uid", f"{span.start:%Y%m%dT%H%M%SZ}-{hours}h-{feed.token_id}@tariffconnect")
    event.add("dtstamp", now)  # when this calendar was made (it is kept until a price changes)
    event.add("dtstart", span.start)
    event.add("dtend", span.end)
    event.add("summary", f"Cheapest {hours} h: {span.rate_avg} {currency}/kWh average")
    event.add("transp", "TRANSPARENT")  # a cheap hour is not a busy one
    return event
