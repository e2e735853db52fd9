"""Wire-model building blocks shared by every domain."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel


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


Text = Annotated[str, AfterValidator(storable)]
"""A string that every supported database can store."""


class Deleted(BaseModel):
    """The answer to a DELETE (202)."""

    id: str
    object: str
    deleted: bool = True
    message: str = "Accepted"
