"""A connection is pulled by one claimer at a time: the first pull of a connection the flow
opened (claimed at opening) is not joined by the refresh nor by an operator's pass.

Connections here are opened in 2017, before any other test's, so that the refresh of 2017
finds only these; each test deletes its connection, so no later refresh finds it due."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import pull, tasks
from tariffconnect.jobs import TaskContext
from tariffconnect.runtime import Runtime
from tests.conftest import Tenant
from tests.integrations.support import (
    bound_runtime,
    connect_module,
    connection,
    module_pulls,
    module_server,
)

OPENED = datetime(2017, 1, 1, 0, 0, tzinfo=UTC)
LATER = OPENED + timedelta(minutes=1)


@pytest.fixture(scope="module")
def module_url() -> Iterator[str]:
    with module_server() as url:
        yield url


@pytest.fixture
def runtime(settings: Settings, database: Database, module_url: str) -> Iterator[Runtime]:
    """The module bound; the time-out longer than its slow answer."""
    with bound_runtime(settings, database, module_url, now=OPENED, timeout=10.0) as runtime:
        yield runtime


def _open_claimed(runtime: Runtime, tenant: Tenant, login: str) -> tuple[str, str]:
    # Claimed, as the Connect flow opens it for its own first pull.
    return connect_module(runtime, tenant.account_id, login, now=OPENED, claimed=True)


def _delete(runtime: Runtime, tenant: Tenant, location_id: str) -> None:
    with runtime.db.transaction() as session:
        scope = Scope(tenant.account_id, False)
        assert pull.disconnect(
            session,
            scope=scope,
            location_id=location_id,
            direction="IMPORT",
            tariff_type="COMMODITY",
        )


def _until_module_asked(url: str, connection_id: str) -> None:
    for _ in range(200):
        if module_pulls(url, connection_id):
            return
        time.sleep(0.02)
    raise AssertionError("the module was never asked")


def test_a_first_pull_in_progress_is_pulled_by_nobody_else(
    runtime: Runtime, tenant: Tenant, module_url: str
) -> None:
    location_id, connection_id = _open_claimed(runtime, tenant, "slow")
    opened = connection(runtime.db, connection_id)
    assert opened.claimed_until is not None
    assert opened.claimed_until.replace(tzinfo=UTC) == OPENED + pull.CLAIM
    results: list[pull.PullResult] = []
    first = threading.Thread(
        target=lambda: results.append(pull.pull(runtime, connection_id, now=OPENED))
    )
    first.start()
    try:
        _until_module_asked(module_url, connection_id)
        # Due, but claimed: neither the refresh nor the operator's pass pulls it.
        assert tasks.refresh(TaskContext(runtime=runtime, now=LATER)) == "0 pulled"
        assert tasks.claim_location(runtime, location_id=location_id, now=LATER) == []
    finally:
        first.join(timeout=30)
    [result] = results
    assert (result.status, result.changed, result.reason) == ("CONNECTED", True, None)
    assert module_pulls(module_url, connection_id) == 1
    # The pull released its claim: the operator may pull it again now.
    assert connection(runtime.db, connection_id).claimed_until is None
    assert tasks.claim_location(runtime, location_id=location_id, now=LATER) == [connection_id]
    _delete(runtime, tenant, location_id)


def test_a_claim_whose_puller_died_runs_out(runtime: Runtime, tenant: Tenant) -> None:
    location_id, connection_id = _open_claimed(runtime, tenant, "alice")
    assert tasks.claim_location(runtime, location_id=location_id, now=LATER) == []
    ran_out = OPENED + pull.CLAIM
    assert tasks.claim_location(runtime, location_id=location_id, now=ran_out) == [connection_id]
    _delete(runtime, tenant, location_id)
