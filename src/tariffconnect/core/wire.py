"""Wire-model building blocks shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field


def storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded at all: reject
    # them here as a 400 rather than failing in the driver as a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


# What the schema can say of `storable`: no NUL (JSON text carries no lone surrogate).
NO_NUL = "^[^\\x00]*$"

Text = Annotated[str, AfterValidator(storable), Field(json_schema_extra={"pattern": NO_NUL})]
"""A string that every supported database can store."""


def not_text(value: Any) -> Any:
    """A number must come as a JSON number: "0.2" is refused, as the docs promise (pydantic
    would read it), and so are true and false."""
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


def text_only(value: Any) -> Any:
    """A time must come as RFC 3339 text with its offset: pydantic would read a number as Unix
    seconds, which carries no offset to answer in."""
    if isinstance(value, int | float):
        raise ValueError("must be an RFC 3339 date-time with an offset, not a number")
    return value


Numeric = BeforeValidator(not_text)
"""Put in a Decimal's Annotated[...]: refuses numbers sent as strings."""

Instant = Annotated[AwareDatetime, BeforeValidator(text_only)]
"""A date-time input with an offset, as text."""


# The instants a date input may name: what the price engine (years 2-9998), both databases
# and RFC 3339 (four-digit years) hold, in UTC and in any zone's local time (up to 14 h off).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def in_range(value: datetime) -> datetime:
    """`value` if it lies in [EARLIEST, LATEST) (UTC when it has no offset); ValueError else,
    so that a date like 9999-12-31T23:59:59-12:00 is a 400, never an overflow's 500."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError("must lie between 1900-01-01 and 9000-01-01 (UTC)")
    return value


Moment = Annotated[datetime, AfterValidator(in_range)]
"""A date-time input the engine and every supported database can hold."""


class Deleted(BaseModel):
    """The answer to a DELETE (202)."""

    id: str
    object: str
    deleted: bool = True
    message: str = "Accepted"
