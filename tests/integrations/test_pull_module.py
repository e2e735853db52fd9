"""The pull end to end on a location, from the real external module process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import bindings, credentials, pull
from tariffconnect.integrations.models import AuthModule
from tariffconnect.providers import catalogue
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.support import (
    MODULE_FAILURES,
    connect,
    connection,
    event_data,
    events_of,
    module_server,
    tariffs_of,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PROVIDER_ID = next(p.id for p in catalogue.all_providers() if p.integration_type == "DIRECT")


@pytest.fixture(scope="module")
def module_url() -> Iterator[str]:
    with module_server() as url:
        yield url


@pytest.fixture
def runtime(settings: Settings, database: Database, module_url: str) -> Iterator[Runtime]:
    """The runtime, with the module bound to a DIRECT provider of the catalogue."""
    allow = parse_allowed_networks(settings.webhook_allowed_networks)
    with database.transaction() as session:
        bindings.bind(session, provider_id=PROVIDER_ID, url=module_url, now=NOW, allow=allow)
    yield Runtime(settings.model_copy(update={"auth_module_timeout_seconds": 1.0}), database)
    with database.transaction() as session:
        session.execute(delete(AuthModule).where(AuthModule.provider_id == PROVIDER_ID))


def _open(runtime: Runtime, tenant: Tenant, login: str) -> tuple[str, str]:
    location_id = make_location(runtime.db, tenant.account_id)
    connection_id = connect(
        runtime.db,
        Scope(tenant.account_id, False),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=PROVIDER_ID,
        login={"login": login, "password": "secret"},
        reference=None,
        now=NOW,
    )
    return location_id, connection_id


def test_the_module_tariff_is_stored_and_kept(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "alice")
    first = pull.pull(runtime, connection_id, now=NOW)
    assert (first.status, first.changed, first.reason) == ("CONNECTED", True, None)
    assert tariffs_of(runtime.db, location_id) == [
        (first.tariff_id, "CONNECTED", "DIRECT", "Module Day & Night")
    ]
    [created] = event_data(runtime.db, tenant.account_id, "tariff.create")
    assert (created["is_linked"], created["provider_id"]) == (True, PROVIDER_ID)
    again = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert again == pull.PullResult("CONNECTED", False, None, first.tariff_id)
    assert len(events_of(runtime.db, tenant.account_id)) == 2


def test_a_changed_module_tariff_replaces_the_old(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "alice")
    first = pull.pull(runtime, connection_id, now=NOW)
    scope = Scope(tenant.account_id, False)
    with runtime.db.transaction() as session:
        credentials.replace(
            session,
            secret=runtime.settings.signing_secret,
            scope=scope,
            auth_metadata_id=connection(runtime.db, connection_id).auth_metadata_id,
            credentials={"login": "changed", "password": "secret"},
            reference=None,
        )
    second = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert (second.status, second.changed) == ("CONNECTED", True)
    assert tariffs_of(runtime.db, location_id) == [
        (first.tariff_id, "REPLACED", "DIRECT", "Module Day & Night"),
        (second.tariff_id, "CONNECTED", "DIRECT", "Module Flat"),
    ]
    assert events_of(runtime.db, tenant.account_id)[2:] == [
        ("tariff.update", first.tariff_id),
        ("tariff.create", second.tariff_id),
        ("location.update", location_id),
    ]


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        *MODULE_FAILURES,
        ("slow", "the module did not answer within 1 s"),
        (
            "invalid_schedule",
            "invalid schedule: gap_in_time_period: "
            "All months, All days: 20:00:00-07:00:00 is not covered",
        ),
    ],
)
def test_a_failed_pull_stores_nothing_and_records_why(
    runtime: Runtime, tenant: Tenant, login: str, reason: str
) -> None:
    location_id, connection_id = _open(runtime, tenant, login)
    assert pull.pull(runtime, connection_id, now=NOW) == pull.PullResult(
        "PENDING", False, reason, None
    )
    row = connection(runtime.db, connection_id)
    assert (row.status, row.last_error) == ("PENDING", reason)
    assert tariffs_of(runtime.db, location_id) == []
    assert events_of(runtime.db, tenant.account_id) == []


def test_the_binding_gone_fails_the_pull(runtime: Runtime, tenant: Tenant) -> None:
    _, connection_id = _open(runtime, tenant, "alice")
    with runtime.db.transaction() as session:
        bindings.clear(session, provider_id=PROVIDER_ID)
    result = pull.pull(runtime, connection_id, now=NOW)
    assert result.reason == "the provider has no auth module or adapter any more"
