"""The integrations room's periodic tasks: the refresh (claimed, pulled several at once), the
purge of credentials never consented, and the upgrade scan's summary.

Connections here are opened in 2020, long before any other test's, so that the refresh of
2020 finds exactly these due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import credentials, tasks
from tariffconnect.integrations.models import AuthMetadata
from tariffconnect.jobs import TaskContext
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.runtime import Runtime
from tariffconnect.worker import build_registry
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.support import connect, connection, event_data, events_of, tariffs_of

T0 = datetime(2020, 1, 1, 0, 0, tzinfo=UTC)
# Before T0 and its next refreshes: the failure test's days hold no other test's connection.
EARLY = datetime(2019, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def runtime(settings: Settings, database: Database) -> Runtime:
    return Runtime(settings, database)


def _open(runtime: Runtime, tenant: Tenant, user: str, *, at: datetime = T0) -> tuple[str, str]:
    location_id = make_location(runtime.db, tenant.account_id)
    connection_id = connect(
        runtime.db,
        Scope(tenant.account_id, False),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=SANDBOX_PROVIDER_ID,
        login={"login": user, "password": "pass_good"},
        reference={"user": user},
        now=at,
    )
    return location_id, connection_id


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def test_the_tasks_are_declared():
    declared = {task.name: task for task in build_registry().periodic}
    assert [name for name in declared if name.startswith("integrations.")] == [
        "integrations.refresh",
        "integrations.purge_unconsented",
        "integrations.upgrade_scan",
        "integrations.octopus_library_sync",
    ]
    assert declared["integrations.refresh"].schedule.describe() == "every 1 min"
    assert declared["integrations.octopus_library_sync"].schedule.describe() == "every 168 h"


def test_refresh_pulls_the_due_connections_once(runtime: Runtime, tenant: Tenant) -> None:
    good_location, good = _open(runtime, tenant, "user_good")
    _, pending = _open(runtime, tenant, "user_pending")
    _, later = _open(runtime, tenant, "user_good", at=T0 + timedelta(hours=1))
    context = TaskContext(runtime=runtime, now=T0)
    assert tasks.refresh(context) == "2 pulled (changed 1, pending 1)"
    # Claimed and pulled: not due again in the same minute.
    assert tasks.refresh(context) == "0 pulled"

    pulled = connection(runtime.db, good)
    assert (pulled.status, _utc(pulled.last_success_at)) == ("CONNECTED", T0)
    next_refresh = _utc(pulled.next_refresh_at)
    assert next_refresh is not None
    assert T0 + timedelta(hours=21.6) <= next_refresh <= T0 + timedelta(hours=26.4)
    [(tariff_id, status, kind, _)] = tariffs_of(runtime.db, good_location)
    assert (pulled.tariff_id, status, kind) == (tariff_id, "CONNECTED", "DIRECT")

    waiting = connection(runtime.db, pending)
    assert (waiting.status, _utc(waiting.next_refresh_at)) == ("PENDING", T0 + timedelta(hours=1))
    untouched = connection(runtime.db, later)
    assert (untouched.status, untouched.last_attempt_at) == ("PENDING", None)

    # An hour on, the pending one and the later one are due: both bring their tariffs.
    assert tasks.refresh(TaskContext(runtime=runtime, now=T0 + timedelta(hours=1))) == (
        "2 pulled (changed 2)"
    )


def test_a_claim_is_taken_once(runtime: Runtime, tenant: Tenant) -> None:
    first_location, first = _open(runtime, tenant, "user_good")
    _, second = _open(runtime, tenant, "user_good")
    assert tasks.claim_due(runtime, now=T0) == sorted([first, second])
    assert tasks.claim_due(runtime, now=T0) == []
    # Claimed until a while on; a worker dying now leaves them claimable after it.
    assert _utc(connection(runtime.db, first).claimed_until) == T0 + tasks.CLAIM
    assert tasks.claim_location(runtime, location_id=first_location, now=T0) == []
    assert tasks.claim_due(runtime, now=T0 + tasks.CLAIM) == sorted([first, second])


def test_a_location_is_refreshed_whether_due_or_not(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open(runtime, tenant, "user_good", at=T0 + timedelta(days=1))
    ids = tasks.claim_location(runtime, location_id=location_id, now=T0)
    assert ids == [connection_id]
    assert tasks.summary(tasks.pull_all(runtime, ids, now=T0)) == "1 pulled (changed 1)"
    assert connection(runtime.db, connection_id).status == "CONNECTED"


def test_failing_pulls_turn_error_after_the_setting(runtime: Runtime, tenant: Tenant) -> None:
    location_id, down = _open(runtime, tenant, "user_down", at=EARLY)
    assert tasks.refresh(TaskContext(runtime=runtime, now=EARLY)) == "1 pulled (failed 1)"
    row = connection(runtime.db, down)
    assert (row.status, row.last_error, _utc(row.failing_since)) == (
        "PENDING",
        "sandbox: the provider is unreachable",
        EARLY,
    )
    later = EARLY + timedelta(hours=48)
    assert tasks.refresh(TaskContext(runtime=runtime, now=later)) == "1 pulled (failed 1)"
    row = connection(runtime.db, down)
    assert (row.status, _utc(row.fetch_failed_at)) == ("ERROR", later)
    assert tasks.refresh(TaskContext(runtime=runtime, now=later + timedelta(hours=1))) == (
        "1 pulled (failed 1)"
    )
    # Once per run of failures.
    assert event_data(runtime.db, tenant.account_id, "tariff.fetch.failed") == [
        {
            "location_id": location_id,
            "tariff_direction": "IMPORT",
            "tariff_type": "COMMODITY",
            "provider_id": SANDBOX_PROVIDER_ID,
            "reason": "sandbox: the provider is unreachable",
        }
    ]
    assert [t for t, _ in events_of(runtime.db, tenant.account_id)] == ["tariff.fetch.failed"]


def test_purge_deletes_credentials_never_consented(runtime: Runtime, tenant: Tenant) -> None:
    location_id = make_location(runtime.db, tenant.account_id)
    scope = Scope(tenant.account_id, False)
    stored = {}
    with runtime.db.transaction() as session:
        for name, at, consent in (
            ("old", T0 - timedelta(days=31), False),
            ("recent", T0 - timedelta(days=29), False),
            ("consented", T0 - timedelta(days=40), True),
        ):
            stored[name] = credentials.store(
                session,
                secret=runtime.settings.signing_secret,
                scope=scope,
                connect_session_id=None,
                location_id=location_id,
                provider_id=SANDBOX_PROVIDER_ID,
                direction="IMPORT",
                tariff_type="COMMODITY",
                credentials={"login": "user_good", "password": "pass_good"},
                now=at,
            )
            if consent:
                credentials.record_consent(
                    session, scope=scope, auth_metadata_id=stored[name], now=at
                )
    context = TaskContext(runtime=runtime, now=T0)
    assert tasks.purge_unconsented(context) == "1 unconsented credentials deleted"
    with runtime.db.transaction(write=False) as session:
        kept = session.scalars(
            select(AuthMetadata.id).where(AuthMetadata.location_id == location_id)
        )
        assert sorted(kept) == sorted([stored["recent"], stored["consented"]])
    assert tasks.purge_unconsented(context) == "0 unconsented credentials deleted"


def test_the_upgrade_scan_reports_what_it_recorded(runtime: Runtime) -> None:
    context = TaskContext(runtime=runtime, now=T0)
    tasks.upgrade_scan(context)  # whatever earlier tests left
    assert tasks.upgrade_scan(context) == "0 upgrade events recorded"
