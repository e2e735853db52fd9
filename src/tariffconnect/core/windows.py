"""The rules of a priced time window, shared by POST /prices and the market price list, so one
request gets the same codes from both; and how their datetimes are written."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import orjson

from tariffconnect.core.errors import invalid

MAX_WINDOW = timedelta(days=90)
MIN_YEAR, MAX_YEAR = 1970, 9990  # calendars and time zone rules are meaningless beyond these
# Datetimes go out as RFC 3339 to the second, in the request's offset, `Z` for UTC.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def check_window(start: datetime, end: datetime, *, longest: timedelta = MAX_WINDOW) -> None:
    """400 `time_window_invalid` or `time_window_too_long` unless [start, end) may be priced
    (schedules allow a shorter `longest` than prices)."""
    if end <= start:
        raise invalid("time_window_invalid", "end_time must be after start_time.")
    if end - start > longest:
        raise invalid("time_window_too_long", f"The window may span at most {longest.days} days.")
    if start.year < MIN_YEAR or end.year > MAX_YEAR:
        raise invalid("time_window_invalid", f"Times must lie in the years {MIN_YEAR}-{MAX_YEAR}.")


def wire_time(moment: datetime, offset: tzinfo) -> str:
    """`moment` as a time on the wire: RFC 3339 in the request's `offset`, as JSON_OPTIONS
    writes it (for answers built as models rather than dumped by orjson)."""
    return orjson.dumps(moment.astimezone(offset), option=JSON_OPTIONS)[1:-1].decode()
