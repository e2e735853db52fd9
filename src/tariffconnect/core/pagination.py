"""Flatpeak cursor pagination, shared by every list endpoint.

Lists are newest first, ordered by id (ids are time-ordered). A page is found with a keyset
condition (`id < cursor`), never an offset, so a deep page costs the same as the first and
rows inserted meanwhile neither repeat nor vanish between pages. No COUNT(*): `has_more`
comes from fetching one row more than asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Query
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tariffconnect.core.errors import invalid
from tariffconnect.core.ids import ID_PATTERN

T = TypeVar("T")


class ListObject(BaseModel, Generic[T]):
    object: str = "list"
    url: str
    has_more: bool
    data: list[T]


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    starting_after: str | None
    ending_before: str | None


def _digits(value: object) -> object:
    # int() would read " 5" or "+5"; the docs promise a number, written plainly.
    if isinstance(value, str) and not value.isdigit():
        raise ValueError("must be a whole number written with digits only")
    return value


async def page_params(
    # Query before the validator: in this order the bounds reach the schema as minimum and
    # maximum (the other way round FastAPI writes them as `ge`/`le`, which no client reads).
    limit: Annotated[
        int,
        Query(ge=1, le=100, description="Page size, 1 to 100."),
        BeforeValidator(_digits),
    ] = 30,
    starting_after: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="Id of the last object of the previous page."),
    ] = None,
    ending_before: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="Id of the first object of the next page."),
    ] = None,
) -> PageParams:
    if starting_after is not None and ending_before is not None:
        raise invalid(
            "pagination_cursor_conflict", "Give starting_after or ending_before, not both."
        )
    return PageParams(limit=limit, starting_after=starting_after, ending_before=ending_before)


def paginate(
    session: Session,
    query: Select[Any],
    id_column: InstrumentedAttribute[str],
    params: PageParams,
    *,
    url: str,
    render: Callable[[Sequence[Any]], list[Any]],
) -> dict[str, Any]:
    """Run `query` (already scoped and filtered) for one page and wrap it as a list object.

    `render` turns the page's rows into wire objects all at once, so it can load what they
    refer to in one query rather than one per row.
    """
    fetch = params.limit + 1
    rows: Sequence[Any]
    if params.ending_before is not None:
        # The page just before the cursor in display order: walk upwards, then flip.
        found = session.scalars(
            query.where(id_column > params.ending_before).order_by(id_column.asc()).limit(fetch)
        ).all()
        has_more = len(found) > params.limit
        rows = list(reversed(found[: params.limit]))
    else:
        if params.starting_after is not None:
            query = query.where(id_column < params.starting_after)
        found = session.scalars(query.order_by(id_column.desc()).limit(fetch)).all()
        has_more = len(found) > params.limit
        rows = found[: params.limit]
    return {"object": "list", "url": url, "has_more": has_more, "data": render(rows)}


class HasId(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=HasId)


def page_in_memory(items: Sequence[ItemT], params: PageParams) -> tuple[list[ItemT], bool]:
    """One page of `items` (sorted by id descending) and whether more lie beyond it.

    The same contract as `paginate`, for shipped catalogues held in memory: cursors compare
    ids, so a cursor need not be in the (filtered) list, and `has_more` after `ending_before`
    says whether newer items remain.
    """
    if params.ending_before is not None:
        cursor = params.ending_before
        newer = [item for item in reversed(items) if item.id > cursor]  # nearest first
        return list(reversed(newer[: params.limit])), len(newer) > params.limit
    after = params.starting_after
    older = [item for item in items if after is None or item.id < after]
    return older[: params.limit], len(older) > params.limit
