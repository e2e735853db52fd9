"""The one way a command opens the database: migrated on the way in, disposed on the way out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The settings' database with its schema up to date, disposed when the block ends."""
    # A command runs one thing at a time: two pooled connections are plenty.
    db = Database(settings.database_url_resolved, pool_size=2)
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.dispose()
