"""One submit of the Connect flow in its own write transaction: what the JSON API and the
hosted pages call, so neither opens a database session itself.

A database outage (`DATABASE_ERRORS`) is answered as `database_unavailable()`, the 503 the
rest of the API answers too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from tariffconnect.connect.flow import machine
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.core.errors import DATABASE_ERRORS, database_unavailable
from tariffconnect.db import Database

log = logging.getLogger("tariffconnect.connect.flow")


def submit(db: Database, request: FlowRequest, *, base_url: str = "") -> machine.Answer:
    """`machine.advance` in a write transaction of its own."""
    with _write(db) as session:
        return machine.advance(session, request, base_url=base_url)


def submit_form(
    db: Database, token: str, request_for: machine.RequestFor, *, base_url: str = ""
) -> machine.Answer | None:
    """`machine.advance_form` in a write transaction of its own."""
    with _write(db) as session:
        return machine.advance_form(session, token, request_for, base_url=base_url)


@contextmanager
def _write(db: Database) -> Iterator[Session]:
    try:
        with db.transaction(write=True) as session:
            yield session
    except DATABASE_ERRORS:
        log.warning("database unavailable for the Connect flow", exc_info=True)
        raise database_unavailable() from None
