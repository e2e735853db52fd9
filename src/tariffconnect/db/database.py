"""The engine and transactions, the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


# Every wait on PostgreSQL is bounded (a frozen server, a dead network): connecting, TCP
# keepalives and `tcp_user_timeout` (a connection whose packets go unacknowledged is dropped),
# a pooled connection's checkout, and each statement.
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 5.0
_TCP = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms
}


def make_engine(
    url: str, *, pool_size: int = 10, statement_timeout_seconds: float | None = None
) -> Engine:
    """The engine for `url`. `statement_timeout_seconds`: the API's (its request deadline);
    None for the CLI and the worker, whose migrations and bulk jobs may rightly take long."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=0,  # overflow connections are closed on return: churn, not capacity
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **_TCP}
    if statement_timeout_seconds is not None:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_seconds * 1000)}"
    return create_engine(
        url,
        connect_args=connect_args,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_size=pool_size,
        max_overflow=0,  # overflow connections are closed on return: churn, not capacity
        # No pre-ping: it was a round trip on every request. A connection the database has
        # dropped (a restart, a failover) is found on use instead: SQLAlchemy then discards
        # every pooled connection as old as it, and reads are run again (`retry_read`).
        pool_recycle=600,
    )


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys; and explicit BEGINs.

    The sqlite3 module's own implicit transactions are turned off so that a write transaction
    can start with BEGIN IMMEDIATE: it takes the write lock up front and waits (busy timeout)
    for another writer, instead of failing halfway when a read transaction tries to upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("tariffconnect_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """Owns the engine; hands out one transaction at a time as a Session."""

    def __init__(
        self, url: str, *, pool_size: int = 10, statement_timeout_seconds: float | None = None
    ) -> None:
        self.url = url
        self.engine = make_engine(
            url, pool_size=pool_size, statement_timeout_seconds=statement_timeout_seconds
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = threading.Lock()
        self._write = sessionmaker(
            self.engine.execution_options(tariffconnect_write=True), expire_on_commit=False
        )

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        factory = self._write if write else self._read
        if write and self.is_sqlite:
            # SQLite has one writer at a time. Writers of this process queue here, in order,
            # rather than in SQLite's busy handler, which polls with growing sleeps and lets
            # an unlucky writer wait seconds. Other processes still meet the busy timeout.
            with self._sqlite_writer, factory.begin() as session:
                yield session
            return
        with factory.begin() as session:
            yield session

    def ping(self) -> None:
        """Raise if the database does not answer."""

        def select_one() -> None:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        retry_read(select_one)

    def dispose(self) -> None:
        self.engine.dispose()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (its cursor's rowcount)."""
    cursor: CursorResult[Any] = result  # type: ignore[assignment]
    return int(cursor.rowcount)


def retry_read(read: Callable[[], T]) -> T:
    """Run `read` (it must write nothing), and once more if the pooled connection it got had
    been dropped by the database: the first use of each stale connection fails, and a read is
    safe to run again on a fresh one. Writes are not retried: a dropped connection during a
    COMMIT leaves its outcome unknown, so the caller gets the 503 and decides."""
    try:
        return read()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return read()
