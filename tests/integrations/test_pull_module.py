"""The pull end to end on a location, from the real external module process."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc
from tariffconnect.db import Database
from tariffconnect.integrations import bindings, credentials, pull
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import service as tariffs
from tests.conftest import Tenant
from tests.integrations import module_server as module_server_process
from tests.integrations.support import (
    MODULE_FAILURES,
    MODULE_PROVIDER_ID,
    bound_runtime,
    connect_module,
    connection,
    event_data,
    events_of,
    module_server,
    tariffs_of,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PROVIDER_ID = MODULE_PROVIDER_ID


@pytest.fixture(scope="module")
def module_url() -> Iterator[str]:
    with module_server() as url:
        yield url


@pytest.fixture
def runtime(settings: Settings, database: Database, module_url: str) -> Iterator[Runtime]:
    """The runtime, with the module bound to a DIRECT provider of the catalogue."""
    with bound_runtime(settings, database, module_url, now=NOW, timeout=1.0) as runtime:
        yield runtime


def _open(runtime: Runtime, tenant: Tenant, login: str) -> tuple[str, str]:
    return connect_module(runtime, tenant.account_id, login, now=NOW)


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


@pytest.mark.parametrize(
    ("now", "next_at"),
    [
        (NOW, datetime(2026, 3, 1, 13, 0, tzinfo=UTC)),  # the expiry, sooner than 24 h
        (NOW + timedelta(minutes=50), NOW + timedelta(minutes=65)),  # never within 15 minutes
    ],
)
def test_an_expiring_tariff_is_pulled_again_by_its_expiry(
    runtime: Runtime, tenant: Tenant, now: datetime, next_at: datetime
) -> None:
    _, connection_id = _open(runtime, tenant, "expiring")
    assert pull.pull(runtime, connection_id, now=now).status == "CONNECTED"
    assert connection(runtime.db, connection_id).next_refresh_at.replace(tzinfo=UTC) == next_at


def test_credentials_stay_out_of_reasons_events_and_logs(
    runtime: Runtime, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    location_id, connection_id = _open(runtime, tenant, "http422")
    for hours in (0, 48):
        result = pull.pull(runtime, connection_id, now=NOW + timedelta(hours=hours))
    assert result.status == "ERROR"
    [data] = event_data(runtime.db, tenant.account_id, "tariff.fetch.failed")
    row = connection(runtime.db, connection_id)
    for text in (str(data), row.last_error, caplog.text):
        assert "secret" not in (text or "")
    assert data["location_id"] == location_id


def test_credentials_that_do_not_open_fail_the_pull(runtime: Runtime, tenant: Tenant) -> None:
    _, connection_id = _open(runtime, tenant, "alice")
    changed = Settings(
        data_dir=runtime.settings.data_dir,
        database_url=runtime.settings.database_url,
        secret_key="another key",
    )
    other = Runtime(changed, runtime.db)
    assert other.settings.signing_secret == b"another key"
    result = pull.pull(other, connection_id, now=NOW)
    assert result == pull.PullResult(
        "PENDING", False, "the stored credentials do not open (was the secret key changed?)", None
    )


def test_due_lists_the_most_overdue_first(runtime: Runtime, tenant: Tenant) -> None:
    _, first = _open(runtime, tenant, "alice")
    _, second = _open(runtime, tenant, "alice")
    pull.pull(runtime, first, now=NOW)
    later = NOW + timedelta(days=2)
    with runtime.db.transaction(write=False) as session:
        ids = pull.due(session, now=later, limit=100_000)
        assert ids.index(second) < ids.index(first)
        assert second not in pull.due(session, now=NOW - timedelta(seconds=1), limit=100_000)
        assert len(pull.due(session, now=later, limit=1)) == 1


def _answer_digest(connection_id: str) -> str:
    answer = {**module_server_process.TARIFF, "provider_tariff_reference": connection_id}
    canonical = orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(b"Europe/London\0" + canonical).hexdigest()


def test_the_answer_that_stored_the_tariff_is_remembered(runtime: Runtime, tenant: Tenant) -> None:
    _, connection_id = _open(runtime, tenant, "alice")
    first = pull.pull(runtime, connection_id, now=NOW)
    row = connection(runtime.db, connection_id)
    assert (row.tariff_id, row.answer_digest) == (first.tariff_id, _answer_digest(connection_id))


def test_the_same_answer_again_stores_nothing_new(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "alice")
    first = pull.pull(runtime, connection_id, now=NOW)
    later = NOW + timedelta(days=1)
    again = pull.pull(runtime, connection_id, now=later)
    assert again == pull.PullResult("CONNECTED", False, None, first.tariff_id)
    row = connection(runtime.db, connection_id)
    assert (row.answer_digest, as_utc(row.last_attempt_at), as_utc(row.last_success_at)) == (
        _answer_digest(connection_id),
        later,
        later,
    )
    assert tariffs_of(runtime.db, location_id) == [
        (first.tariff_id, "CONNECTED", "DIRECT", "Module Day & Night")
    ]


def test_deleting_the_direct_tariff_ends_the_connection_so_the_same_answer_is_not_stored_again(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id, connection_id = _open(runtime, tenant, "alice")
    first = pull.pull(runtime, connection_id, now=NOW)
    assert first.tariff_id is not None
    with runtime.db.transaction() as session:
        tariffs.delete(session, scope=Scope(tenant.account_id, False), tariff_id=first.tariff_id)
    again = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert (again.status, again.changed, again.tariff_id) == ("DELETED", False, None)
    assert tariffs_of(runtime.db, location_id) == []


def test_a_module_pull_leaves_the_sealed_reference_as_it_was(
    runtime: Runtime, tenant: Tenant
) -> None:
    _, connection_id = _open(runtime, tenant, "alice")
    pull.pull(runtime, connection_id, now=NOW)
    pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    with runtime.db.transaction(write=False) as session:
        sealed = credentials.load(
            session,
            secret=runtime.settings.signing_secret,
            scope=Scope(tenant.account_id, False),
            auth_metadata_id=connection(runtime.db, connection_id).auth_metadata_id,
        )
    assert sealed is not None
    assert sealed.credentials == {"login": "alice", "password": "secret"}
    assert sealed.reference is None


def test_an_unchanged_expiring_answer_is_still_pulled_again_by_its_expiry(
    runtime: Runtime, tenant: Tenant
) -> None:
    _, connection_id = _open(runtime, tenant, "expiring")
    first = pull.pull(runtime, connection_id, now=NOW - timedelta(minutes=30))
    again = pull.pull(runtime, connection_id, now=NOW)
    assert again == pull.PullResult("CONNECTED", False, None, first.tariff_id)
    row = connection(runtime.db, connection_id)
    assert as_utc(row.next_refresh_at) == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
