"""Octopus's tariffs in the library for tests of the LIBRARY path: synced by the real sync
from the fixture Octopus API (test_library_sync.published: Flexible Octopus in Eastern England
and London, its Economy 7 and Octopus Go in London, Outgoing in London), and the way there in
Connect, past the DIRECT login Octopus offers first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tests.connect.flow.flow import start, submit
from tests.connect.flow.test_direct_routes import module
from tests.integrations.octopus.fixture_server import octopus_api
from tests.integrations.octopus.test_library_sync import published, sync


@contextmanager
def synced_library(settings: Settings, database: Database) -> Iterator[None]:
    """The synced table holding the fixture's five entries, emptied again afterwards (it is
    global, as the shipped library is)."""
    with octopus_api(published()) as (server, _api):
        result = sync(settings, database, server, allowed="127.0.0.0/8")
    assert (result.offered, result.skipped) == (5, ())
    try:
        yield
    finally:
        with database.transaction() as session:
            session.execute(delete(SyncedLibraryTariff))


def octopus_library(client: Any, token: str) -> dict[str, Any]:
    """Choose Octopus, pass over its login (DISMISS_DIRECT) and answer the page that follows:
    its library, or the manual path when it has none for this element."""
    start(client, token)
    page = submit(
        client, token, "provider_select", data={"provider": {"id": OCTOPUS_GB_PROVIDER_ID}}
    )
    assert page["route"] == "session_redirect"
    module(client, token, "start_tariff_integration")
    left = module(client, token, "auth_metadata_capture", action="DISMISS_DIRECT")
    assert left["route"] == "session_redirect"
    return start(client, token)
