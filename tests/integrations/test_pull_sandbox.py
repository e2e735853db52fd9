"""The pull end to end on a location, through the Sandbox Energy adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import credentials, pull
from tariffconnect.integrations.models import AuthMetadata, DirectConnection
from tariffconnect.locations import service as locations
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.runtime import Runtime
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.support import connect, connection, event_data, events_of, tariffs_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings, database: Database) -> Runtime:
    return Runtime(settings, database)


def _open(runtime: Runtime, tenant: Tenant, user: str, *, live: bool = False) -> tuple[str, str]:
    location_id = make_location(runtime.db, tenant.account_id, live=live)
    connection_id = connect(
        runtime.db,
        Scope(tenant.account_id, live),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=SANDBOX_PROVIDER_ID,
        login={"login": user, "password": "pass_good"},
        reference={"user": user},
        now=NOW,
    )
    return location_id, connection_id


def test_the_first_pull_stores_a_direct_tariff(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_good")
    assert connection(runtime.db, connection_id).status == "PENDING"
    with runtime.db.transaction(write=False) as session:
        assert pull.due(session, now=NOW, limit=10_000).count(connection_id) == 1
    result = pull.pull(runtime, connection_id, now=NOW)
    assert result.status == "CONNECTED" and result.changed and result.reason is None
    [(tariff_id, status, kind, name)] = tariffs_of(runtime.db, location_id)
    assert (result.tariff_id, status, kind, name) == (
        tariff_id,
        "CONNECTED",
        "DIRECT",
        "Sandbox Day & Night",
    )
    assert events_of(runtime.db, tenant.account_id) == [
        ("tariff.create", tariff_id),
        ("location.update", location_id),
    ]
    [created] = event_data(runtime.db, tenant.account_id, "tariff.create")
    assert created["is_linked"] is True
    assert created["provider_id"] == SANDBOX_PROVIDER_ID
    hours = created["schedule"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in hours] == [
        ("07:00:00", "23:00:00", 0.3),
        ("23:00:00", "07:00:00", 0.12),
    ]
    row = connection(runtime.db, connection_id)
    assert (row.status, row.tariff_id, row.last_error, row.failing_since) == (
        "CONNECTED",
        tariff_id,
        None,
        None,
    )
    next_at = row.next_refresh_at.replace(tzinfo=UTC)
    assert NOW + timedelta(hours=21.6) <= next_at <= NOW + timedelta(hours=26.4)
    with runtime.db.transaction(write=False) as session:
        assert connection_id not in pull.due(session, now=NOW + timedelta(hours=1), limit=10_000)


def test_a_reference_with_a_bad_count_is_pulled_by_the_rows_count(
    runtime: Runtime, tenant: Tenant
) -> None:
    # The count is the row's: what the sealed reference says (here not a number) is not read.
    location_id, connection_id = _open(runtime, tenant, "user_good")
    amd_id = connection(runtime.db, connection_id).auth_metadata_id
    with runtime.db.transaction() as session:
        credentials.replace(
            session,
            secret=runtime.settings.signing_secret,
            scope=Scope(tenant.account_id, False),
            auth_metadata_id=amd_id,
            credentials={"login": "user_good", "password": "pass_good"},
            reference={"user": "user_good", "pulls": "many"},
        )
    result = pull.pull(runtime, connection_id, now=NOW)
    assert (result.status, result.changed, result.reason) == ("CONNECTED", True, None)
    row = connection(runtime.db, connection_id)
    assert (row.pulls, row.claimed_until, row.last_error) == (1, None, None)
    assert [status for _, status, *_ in tariffs_of(runtime.db, location_id)] == ["CONNECTED"]


def test_an_unchanged_pull_writes_nothing(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_good")
    first = pull.pull(runtime, connection_id, now=NOW)
    again = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert again == pull.PullResult("CONNECTED", False, None, first.tariff_id)
    assert len(tariffs_of(runtime.db, location_id)) == 1
    assert [t for t, _ in events_of(runtime.db, tenant.account_id)] == [
        "tariff.create",
        "location.update",
    ]


def test_user_pending_stays_pending_then_connects(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_pending")
    first = pull.pull(runtime, connection_id, now=NOW)
    assert first == pull.PullResult("PENDING", False, None, None)
    row = connection(runtime.db, connection_id)
    assert row.next_refresh_at.replace(tzinfo=UTC) == NOW + timedelta(minutes=60)
    assert (row.last_error, row.failing_since) == (None, None)
    assert tariffs_of(runtime.db, location_id) == []
    second = pull.pull(runtime, connection_id, now=NOW + timedelta(hours=1))
    assert (second.status, second.changed) == ("CONNECTED", True)
    assert [name for *_, name in tariffs_of(runtime.db, location_id)] == ["Sandbox Fixed"]


def test_failures_are_recorded_then_error_and_one_event(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_down")
    reason = "sandbox: the provider is unreachable"
    assert pull.pull(runtime, connection_id, now=NOW) == pull.PullResult(
        "PENDING", False, reason, None
    )
    row = connection(runtime.db, connection_id)
    assert (row.status, row.last_error) == ("PENDING", reason)
    assert row.failing_since is not None and row.failing_since.replace(tzinfo=UTC) == NOW
    assert row.next_refresh_at.replace(tzinfo=UTC) == NOW + timedelta(minutes=60)
    later = pull.pull(runtime, connection_id, now=NOW + timedelta(hours=47))
    assert later.status == "PENDING"
    assert connection(runtime.db, connection_id).failing_since.replace(tzinfo=UTC) == NOW  # type: ignore[union-attr]
    assert events_of(runtime.db, tenant.account_id) == []
    failed = pull.pull(runtime, connection_id, now=NOW + timedelta(hours=48))
    assert failed == pull.PullResult("ERROR", False, reason, None)
    again = pull.pull(runtime, connection_id, now=NOW + timedelta(hours=49))
    assert again.status == "ERROR"
    assert events_of(runtime.db, tenant.account_id) == [("tariff.fetch.failed", location_id)]
    assert event_data(runtime.db, tenant.account_id, "tariff.fetch.failed") == [
        {
            "location_id": location_id,
            "tariff_direction": "IMPORT",
            "tariff_type": "COMMODITY",
            "provider_id": SANDBOX_PROVIDER_ID,
            "reason": reason,
        }
    ]


def test_user_expire_keeps_its_tariff_and_reports_the_connected_one(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_expire")
    first = pull.pull(runtime, connection_id, now=NOW)
    assert first.status == "CONNECTED"
    refused = "sandbox: the provider refused the stored credentials"
    second = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert second == pull.PullResult("CONNECTED", False, refused, first.tariff_id)
    pull.pull(runtime, connection_id, now=NOW + timedelta(days=3))
    row = connection(runtime.db, connection_id)
    assert (row.status, row.last_error) == ("ERROR", refused)
    [data] = event_data(runtime.db, tenant.account_id, "tariff.fetch.failed")
    assert (data["id"], data["object"], data["connection_type"]) == (
        first.tariff_id,
        "tariff",
        "DIRECT",
    )
    assert "password" not in str(data) and "pass_good" not in str(data)
    assert [status for _, status, *_ in tariffs_of(runtime.db, location_id)] == ["CONNECTED"]


def test_a_changed_tariff_replaces_the_connected_one(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_multi")
    scope = Scope(tenant.account_id, False)
    secret = runtime.settings.signing_secret
    with runtime.db.transaction() as session:
        amd_id = connection(runtime.db, connection_id).auth_metadata_id
        credentials.replace(
            session,
            secret=secret,
            scope=scope,
            auth_metadata_id=amd_id,
            credentials={"login": "user_multi", "password": "pass_good", "account": "sbx_1"},
            reference={"user": "user_multi", "account": "sbx_1"},
        )
    first = pull.pull(runtime, connection_id, now=NOW)
    with runtime.db.transaction() as session:
        sealed = credentials.load(session, secret=secret, scope=scope, auth_metadata_id=amd_id)
        # The count is the row's, so the sealed reference is left as it was.
        assert sealed is not None and sealed.reference == {"user": "user_multi", "account": "sbx_1"}
        assert connection(runtime.db, connection_id).pulls == 1
        credentials.replace(
            session,
            secret=secret,
            scope=scope,
            auth_metadata_id=amd_id,
            credentials=sealed.credentials,
            reference={**sealed.reference, "account": "sbx_2"},
        )
    second = pull.pull(runtime, connection_id, now=NOW + timedelta(days=1))
    assert (second.status, second.changed) == ("CONNECTED", True)
    assert tariffs_of(runtime.db, location_id) == [
        (first.tariff_id, "REPLACED", "DIRECT", "Sandbox Flex"),
        (second.tariff_id, "CONNECTED", "DIRECT", "Sandbox Night Saver"),
    ]
    assert [t for t, _ in events_of(runtime.db, tenant.account_id)] == [
        "tariff.create",
        "location.update",
        "tariff.update",
        "tariff.create",
        "location.update",
    ]


def test_reopen_and_disconnect_delete_the_old_credentials(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_good")
    scope = Scope(tenant.account_id, False)
    old_amd = connection(runtime.db, connection_id).auth_metadata_id
    new_id = connect(
        runtime.db,
        scope,
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=SANDBOX_PROVIDER_ID,
        login={"login": "user_good", "password": "pass_good"},
        reference={"user": "user_good"},
        now=NOW,
    )
    with runtime.db.transaction() as session:
        assert session.get(DirectConnection, connection_id) is None
        assert session.get(AuthMetadata, old_amd) is None
        new_amd = session.get(DirectConnection, new_id).auth_metadata_id  # type: ignore[union-attr]
    assert pull.pull(runtime, connection_id, now=NOW).status == "DELETED"
    with runtime.db.transaction() as session:
        other = Scope(tenant.account_id, True)
        assert not pull.disconnect(
            session,
            scope=other,
            location_id=location_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
        )
        assert pull.disconnect(
            session,
            scope=scope,
            location_id=location_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
        )
    with runtime.db.transaction() as session:
        assert session.get(DirectConnection, new_id) is None
        assert session.get(AuthMetadata, new_amd) is None
        left = session.scalars(
            select(AuthMetadata.id).where(AuthMetadata.location_id == location_id)
        )
        assert list(left) == []


def test_a_live_connection_to_the_sandbox_fails(runtime: Runtime, tenant: Tenant) -> None:
    _, connection_id = _open(runtime, tenant, "user_good", live=True)
    result = pull.pull(runtime, connection_id, now=NOW)
    assert result == pull.PullResult(
        "PENDING", False, "the provider has no auth module or adapter any more", None
    )


def test_deleting_the_location_deletes_connection_and_credentials(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_good")
    pull.pull(runtime, connection_id, now=NOW)
    amd_id = connection(runtime.db, connection_id).auth_metadata_id
    with runtime.db.transaction() as session:
        locations.delete(session, scope=Scope(tenant.account_id, False), location_id=location_id)
    with runtime.db.transaction(write=False) as session:
        assert session.get(DirectConnection, connection_id) is None
        assert session.get(AuthMetadata, amd_id) is None
    assert pull.pull(runtime, connection_id, now=NOW).status == "DELETED"
