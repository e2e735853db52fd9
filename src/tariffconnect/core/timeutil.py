"""Time helpers: everything is stored in UTC and system timestamps go out as RFC 3339 `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to naive datetimes (SQLite returns them naive) and convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """Format as RFC 3339 in UTC with a `Z` and whole seconds, e.g. `2023-05-05T18:37:27Z`."""
    # isoformat, not strftime: three times faster, and it writes years below 1000 in 4 digits.
    return as_utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
