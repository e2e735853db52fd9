"""A refresh round stores the answers that are the connected tariff's again in one write, on
the conditions `store` checks under the row's lock; a row that changed during the pull is
stored alone (or found deleted), never overwritten.

Connections here are opened in 2015, before any other test's, and each round is run on these
ids alone; every test deletes its connections at the end, so no other test's refresh finds
them due."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import pull, pull_store, tasks
from tariffconnect.integrations.models import DirectConnection
from tariffconnect.integrations.pull_store import Again
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.runtime import Runtime
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.support import connect, connection, events_of, tariffs_of

T0 = datetime(2015, 1, 1, 0, 0, tzinfo=UTC)
DAY = T0 + timedelta(days=1)


@pytest.fixture
def runtime(settings: Settings, database: Database, tenant: Tenant) -> Iterator[Runtime]:
    yield Runtime(settings, database)
    with database.transaction() as session:  # the tenant's connections and their credentials
        for row in session.scalars(
            select(DirectConnection).where(DirectConnection.account_id == tenant.account_id)
        ):
            pull.disconnect(
                session,
                scope=Scope(tenant.account_id, False),
                location_id=row.location_id,
                direction=row.tariff_direction,
                tariff_type=row.tariff_type,
            )


def _connected(runtime: Runtime, tenant: Tenant, count: int) -> list[str]:
    """`count` Sandbox connections of `user_good`, each pulled once (its tariff stored)."""
    ids = []
    for _ in range(count):
        location_id = make_location(runtime.db, tenant.account_id)
        ids.append(
            connect(
                runtime.db,
                Scope(tenant.account_id, False),
                location_id,
                secret=runtime.settings.signing_secret,
                provider_id=SANDBOX_PROVIDER_ID,
                login={"login": "user_good", "password": "pass_good"},
                reference={"user": "user_good"},
                now=T0,
            )
        )
    assert tasks.pull_all(runtime, ids, now=T0) == {"changed": count}
    return ids


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def test_a_round_of_unchanged_answers_is_stored_in_one_write(
    runtime: Runtime, tenant: Tenant
) -> None:
    ids = _connected(runtime, tenant, 3)
    before = {i: connection(runtime.db, i) for i in ids}
    events_before = events_of(runtime.db, tenant.account_id)
    # The second pull is failing for one of them: an unchanged answer clears that, as `store` does.
    with runtime.db.transaction() as session:
        session.execute(
            update(DirectConnection)
            .where(DirectConnection.id == ids[0])
            .values(failing_since=T0, last_error="the module answered 503")
        )
    claimed = tasks.claim_location(runtime, location_id=before[ids[1]].location_id, now=DAY)
    assert claimed == [ids[1]]

    results = pull.pull_many(runtime, ids, now=DAY, pullers=2)

    assert results == {
        i: pull.PullResult("CONNECTED", False, None, before[i].tariff_id) for i in ids
    }
    for i in ids:
        after = connection(runtime.db, i)
        assert (after.status, after.pulls, after.tariff_id) == ("CONNECTED", 2, before[i].tariff_id)
        assert after.answer_digest == before[i].answer_digest
        assert (after.claimed_until, after.failing_since, after.last_error) == (None, None, None)
        assert (_utc(after.last_attempt_at), _utc(after.last_success_at)) == (DAY, DAY)
        next_refresh = _utc(after.next_refresh_at)
        assert next_refresh is not None
        assert DAY + timedelta(hours=21.6) <= next_refresh <= DAY + timedelta(hours=26.4)
        assert len(tariffs_of(runtime.db, after.location_id)) == 1
    assert events_of(runtime.db, tenant.account_id) == events_before  # nothing to announce


def test_a_row_changed_during_the_pull_is_stored_alone_or_found_deleted(
    runtime: Runtime, tenant: Tenant
) -> None:
    kept, changed, deleted = _connected(runtime, tenant, 3)
    secret = runtime.settings.signing_secret
    with runtime.db.transaction(write=False) as session:
        loaded = pull_store.load_many(session, secret, [kept, changed, deleted])
    digests = {i: loaded[i].answer_digest for i in loaded}
    # Between the load and the store: one row's last answer is no longer this one (as if
    # another pull stored a new tariff), another row is deleted with its credentials.
    gone = connection(runtime.db, deleted)
    with runtime.db.transaction() as session:
        session.execute(
            update(DirectConnection)
            .where(DirectConnection.id == changed)
            .values(answer_digest="0" * 64, claimed_until=DAY)
        )
        session.execute(
            update(DirectConnection).where(DirectConnection.id == kept).values(claimed_until=DAY)
        )
        assert pull.disconnect(
            session,
            scope=Scope(tenant.account_id, False),
            location_id=gone.location_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
        )
    answers = []
    for i in (kept, changed, deleted):
        digest = digests[i]
        assert digest is not None
        answers.append((loaded[i], Again({}, None), digest))
    with runtime.db.transaction() as session:
        outcome = pull_store.store_unchanged(session, runtime, answers, DAY)

    assert outcome == pull_store.Unchanged(stored=[kept], alone=[changed], deleted=[deleted])
    untouched = connection(runtime.db, changed)
    assert (untouched.pulls, untouched.answer_digest) == (1, "0" * 64)
    assert _utc(untouched.claimed_until) == DAY  # still the claimer's, for `store`
    assert connection(runtime.db, kept).pulls == 2
