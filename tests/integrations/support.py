"""Helpers of the integrations tests: a DIRECT connection on a fresh location, the account's
events, and the external auth module (module_server.py) started on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, select

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.events.models import Event
from tariffconnect.integrations import bindings, credentials, pull
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.models import AuthModule, DirectConnection
from tariffconnect.providers import catalogue
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs.models import Tariff
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.factories import make_location

ROOT = Path(__file__).resolve().parents[2]
# The DIRECT provider of the catalogue that the module tests bind the module to: one with no
# built-in adapter, so that unbinding it leaves it without a DIRECT route.
MODULE_PROVIDER_ID = next(
    p.id
    for p in catalogue.all_providers()
    if p.integration_type == "DIRECT" and adapter_for(p.id, live_mode=False) is None
)
# The test module's misbehaving logins and the reason a pull records for each.
MODULE_FAILURES = [
    ("html", "the module answered HTML, not JSON"),
    ("badjson", "the module's answer is not valid JSON"),
    ("http500", "the module answered HTTP 500: Provider API down"),
    ("http422", "the module answered HTTP 422: Invalid credentials"),
]


def connect(
    database: Database,
    scope: Scope,
    location_id: str,
    *,
    secret: bytes,
    provider_id: str,
    login: dict[str, str],
    reference: dict[str, Any] | None,
    now: datetime,
    claimed: bool = False,
) -> str:
    """Stored credentials and an open DIRECT connection for the location's IMPORT COMMODITY
    (due for the refresh, as if no first pull claimed it, unless `claimed`)."""
    with database.transaction() as session:
        amd_id = credentials.store(
            session,
            secret=secret,
            scope=scope,
            connect_session_id=None,
            location_id=location_id,
            provider_id=provider_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
            credentials=login,
            reference=reference,
            now=now,
        )
        credentials.record_consent(session, scope=scope, auth_metadata_id=amd_id, now=now)
        return pull.open_connection(
            session,
            scope=scope,
            location_id=location_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
            provider_id=provider_id,
            auth_metadata_id=amd_id,
            now=now,
            claimed=claimed,
        )


@contextmanager
def bound_runtime(
    settings: Settings, database: Database, url: str, *, now: datetime, timeout: float
) -> Iterator[Runtime]:
    """A runtime whose MODULE_PROVIDER_ID is bound to the module at `url`, with this module
    time-out; unbound afterwards."""
    allow = parse_allowed_networks(settings.webhook_allowed_networks)
    with database.transaction() as session:
        bindings.bind(session, provider_id=MODULE_PROVIDER_ID, url=url, now=now, allow=allow)
    try:
        yield Runtime(
            settings.model_copy(update={"auth_module_timeout_seconds": timeout}), database
        )
    finally:
        with database.transaction() as session:
            session.execute(delete(AuthModule).where(AuthModule.provider_id == MODULE_PROVIDER_ID))


def connect_module(
    runtime: Runtime, account_id: str, login: str, *, now: datetime, claimed: bool = False
) -> tuple[str, str]:
    """A new location of the account, connected to the bound module with this login: its id
    and the connection's."""
    location_id = make_location(runtime.db, account_id)
    connection_id = connect(
        runtime.db,
        Scope(account_id, False),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=MODULE_PROVIDER_ID,
        login={"login": login, "password": "secret"},
        reference=None,
        now=now,
        claimed=claimed,
    )
    return location_id, connection_id


def events_of(database: Database, account_id: str) -> list[tuple[str, str]]:
    """(type, object id) of the account's events, oldest first."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Event.type, Event.object_id)
            .where(Event.account_id == account_id)
            .order_by(Event.id)
        )
        return [(row.type, row.object_id) for row in rows]


def event_data(database: Database, account_id: str, type_: str) -> list[dict[str, Any]]:
    with database.transaction(write=False) as session:
        query = select(Event.data).where(Event.account_id == account_id, Event.type == type_)
        return list(session.scalars(query.order_by(Event.id)))


def connection(database: Database, connection_id: str) -> DirectConnection:
    with database.transaction(write=False) as session:
        row = session.get(DirectConnection, connection_id)
        assert row is not None
        session.expunge(row)
        return row


def tariffs_of(database: Database, location_id: str) -> list[tuple[str, str, str, str | None]]:
    """(id, status, connection_type, display_name) of the location's tariffs, oldest first."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Tariff.id, Tariff.status, Tariff.connection_type, Tariff.display_name)
            .where(Tariff.location_id == location_id)
            .order_by(Tariff.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def module_pulls(url: str, reference_id: str) -> int:
    """How many tariff plans the module process was asked for this connection."""
    answer = httpx.get(f"{url}/pulls", params={"reference_id": reference_id}, timeout=5)
    return int(answer.json()["count"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def module_server(connect_api: str = "http://127.0.0.1:9", mode: str = "normal") -> Iterator[str]:
    """Run tests/integrations/module_server.py as its own process; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integrations.module_server",
            "--port",
            str(port),
            "--connect-api",
            connect_api,
            "--mode",
            mode,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError("the module server exited")
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the module server did not start")
