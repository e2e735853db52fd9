"""The rules of a priced time window, shared by POST /prices and the market price list, so one
request gets the same codes from both; and how their datetimes are written."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Annotated

import orjson
from fastapi import Query

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


# A time in a query string (zero's GET operations): RFC 3339 with an offset.
_QUERY_TIME = Query(
    max_length=64,
    description="RFC 3339 with an offset (a `+` sent unencoded, read as a space, is understood).",
    examples=["2024-02-01T00:00:00Z"],
    json_schema_extra={"format": "date-time"},
)
QueryTime = Annotated[str | None, _QUERY_TIME]
# Required: a missing one is 400 `<field>_missing`, as required_query_time answers.
RequiredQueryTime = Annotated[str, _QUERY_TIME]


def query_time(value: str | None, field: str) -> datetime | None:
    """A QueryTime as a datetime, None when not given; 400 `<field>_invalid` otherwise."""
    if value is None:
        return None
    text = value.strip().replace(" ", "+").replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"{field}_invalid", f"{field} must be RFC 3339 with an offset.") from None
    if moment.tzinfo is None:
        raise invalid(f"{field}_invalid", f"{field} must have an offset, such as Z.")
    return moment


def required_query_time(value: str | None, field: str) -> datetime:
    """query_time, 400 `<field>_missing` when not given."""
    moment = query_time(value, field)
    if moment is None:
        raise invalid(f"{field}_missing", f"{field} is required.")
    return moment
