"""A tariff the app creates or deletes through the API ends the element's DIRECT connection:
its credentials go, and a refresh neither brings the provider's tariff back nor replaces the
app's own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.integrations import pull, tasks
from tariffconnect.integrations.models import AuthMetadata, DirectConnection
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.runtime import Runtime
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.support import connect, events_of, tariffs_of
from tests.tariffs.support import flat, tariff_body


@pytest.fixture
def runtime(settings: Settings, database: Database) -> Runtime:
    return Runtime(settings, database)


def _open_good(runtime: Runtime, tenant: Tenant, location_id: str) -> str:
    """user_good's credentials and connection, due now."""
    return connect(
        runtime.db,
        Scope(tenant.account_id, False),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=SANDBOX_PROVIDER_ID,
        login={"login": "user_good", "password": "pass_good"},
        reference={"user": "user_good"},
        now=utcnow() - timedelta(minutes=1),
    )


def _connected(runtime: Runtime, tenant: Tenant) -> tuple[str, str]:
    """A location with user_good's DIRECT tariff pulled in; (location id, tariff id)."""
    location_id = make_location(runtime.db, tenant.account_id)
    connection_id = _open_good(runtime, tenant, location_id)
    result = pull.pull(runtime, connection_id)
    assert (result.status, result.changed) == ("CONNECTED", True)
    assert result.tariff_id is not None
    return location_id, result.tariff_id


def _direct_rows(database: Database, location_id: str) -> tuple[int, int]:
    """(connections, credentials) stored for the location."""
    with database.transaction(write=False) as session:
        connections = session.scalar(
            select(func.count())
            .select_from(DirectConnection)
            .where(DirectConnection.location_id == location_id)
        )
        sealed = session.scalar(
            select(func.count())
            .select_from(AuthMetadata)
            .where(AuthMetadata.location_id == location_id)
        )
    return int(connections or 0), int(sealed or 0)


def _refresh(runtime: Runtime, location_id: str) -> str:
    """What `tariffconnect integrations refresh --location` does, in process."""
    now = utcnow()
    ids = tasks.claim_location(runtime, location_id=location_id, now=now)
    return tasks.summary(tasks.pull_all(runtime, ids, now=now))


def _element_status(tenant: Tenant, location_id: str) -> list[tuple[str, str | None]]:
    body = tenant.client.get(f"/locations/{location_id}", headers=tenant.test).json()
    return [(e["status"], e.get("connection_type")) for e in body["tariff_elements"]]


@pytest.mark.parametrize("path", ["/tariffs", "/tariffs/elements"])
def test_deleting_the_direct_tariff_then_a_manual_one_stays(
    runtime: Runtime, tenant: Tenant, path: str
) -> None:
    location_id, direct_id = _connected(runtime, tenant)
    assert _direct_rows(runtime.db, location_id) == (1, 1)
    before = events_of(runtime.db, tenant.account_id)

    deleted = tenant.client.delete(f"{path}/{direct_id}", headers=tenant.test)
    assert deleted.status_code == 202, deleted.text
    assert _direct_rows(runtime.db, location_id) == (0, 0)
    created = tenant.client.post(
        path, headers=tenant.test, json=tariff_body(location_id, flat(0.2), display_name="Mine")
    )
    assert created.status_code in (200, 201), created.text
    mine = created.json()["id"]

    assert _refresh(runtime, location_id) == "0 pulled"
    assert tariffs_of(runtime.db, location_id) == [(mine, "CONNECTED", "MANUAL", "Mine")]
    assert _direct_rows(runtime.db, location_id) == (0, 0)
    assert events_of(runtime.db, tenant.account_id)[len(before) :] == [
        ("tariff.delete", direct_id),
        ("location.update", location_id),
        ("tariff.create", mine),
        ("location.update", location_id),
    ]


def test_a_manual_tariff_over_the_direct_one_replaces_it_for_good(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id, direct_id = _connected(runtime, tenant)
    before = events_of(runtime.db, tenant.account_id)

    created = tenant.client.post(
        "/tariffs",
        headers=tenant.test,
        json=tariff_body(location_id, flat(0.2), display_name="Mine"),
    )
    assert created.status_code == 201, created.text
    mine = created.json()["id"]
    assert _direct_rows(runtime.db, location_id) == (0, 0)
    assert _element_status(tenant, location_id) == [("CONNECTED", "MANUAL")]

    assert _refresh(runtime, location_id) == "0 pulled"
    assert tariffs_of(runtime.db, location_id) == [
        (direct_id, "REPLACED", "DIRECT", "Sandbox Day & Night"),
        (mine, "CONNECTED", "MANUAL", "Mine"),
    ]
    assert events_of(runtime.db, tenant.account_id)[len(before) :] == [
        ("tariff.update", direct_id),
        ("tariff.create", mine),
        ("location.update", location_id),
    ]


def test_the_pull_and_deleting_history_keep_the_connection(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id = make_location(runtime.db, tenant.account_id)
    created = tenant.client.post(
        "/tariffs",
        headers=tenant.test,
        json=tariff_body(location_id, flat(0.2), display_name="Old"),
    )
    old = created.json()["id"]
    connection_id = _open_good(runtime, tenant, location_id)
    direct_id = pull.pull(runtime, connection_id).tariff_id
    # The pull's own tariff replaced the app's: the connection it came through stays.
    assert _direct_rows(runtime.db, location_id) == (1, 1)

    deleted = tenant.client.delete(f"/tariffs/{old}", headers=tenant.test)
    assert deleted.status_code == 202, deleted.text
    assert _direct_rows(runtime.db, location_id) == (1, 1)
    assert tariffs_of(runtime.db, location_id) == [
        (direct_id, "CONNECTED", "DIRECT", "Sandbox Day & Night")
    ]
