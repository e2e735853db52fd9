"""Inserting many rows at once, fast on both databases.

An ORM bulk insert (`session.execute(insert(Model), rows)`) builds ORM state for every row, and
under psycopg an executemany is one statement per row (pipelined, but a round trip and a
parameter set each); multi-row `INSERT ... VALUES` text for thousands of rows costs more to
build and parse than to run. PostgreSQL's COPY streams the rows in one command instead, in the
caller's transaction. SQLite's executemany runs in-process and is fast as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Json
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from tariffconnect.db.base import Base


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `model`'s table in the caller's
    transaction; Core, so no ORM state and no ORM events."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    command = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    raw = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    # JSON columns get their documents as text; psycopg writes every other type itself.
    documents = [c for c in columns if isinstance(table.c[c].type, JSON)]
    with raw.cursor() as cursor, cursor.copy(command) as copy:
        if not documents:
            for row in rows:
                copy.write_row([row[column] for column in columns])
            return
        for row in rows:
            copy.write_row([_adapted(row[column]) for column in columns])


def _adapted(value: Any) -> Any:
    if isinstance(value, dict | list):
        return Json(value, dumps=_dumps)
    return value


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
