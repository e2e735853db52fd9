"""`tariffconnect jobs status` and `jobs run NAME`, as real processes on a fresh database."""

import json
from datetime import datetime, timedelta

import pytest

from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.jobs import enqueue
from tariffconnect.jobs import periodic as leases
from tariffconnect.tariffs import tasks as tariffs_tasks
from tests.cli.conftest import tariffconnect


@pytest.fixture
def fresh(fresh_env):
    url, env = fresh_env
    db = Database(url, pool_size=1)
    upgrade(db.engine)
    try:
        yield db, env
    finally:
        db.dispose()


def jobs(env, *args):
    return tariffconnect(env, "jobs", *args)


def status(env):
    result = jobs(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_before_any_worker_lists_the_declared_tasks(fresh):
    _, env = fresh
    got = status(env)
    names = [task["name"] for task in got["periodic"]]
    assert names == [
        "tariffs.expiry_scan",
        "market.day_ahead",
        "market.back_check",
        "jobs.purge",
        "meters.partitions",
        "integrations.refresh",
        "integrations.purge_unconsented",
        "integrations.upgrade_scan",
        "integrations.octopus_library_sync",
    ]
    scan = got["periodic"][0]
    assert scan == {
        "name": "tariffs.expiry_scan",
        "schedule": "every 1 min",
        "runs": 0,
        "last_run": None,
        "last_status": None,
        "last_result": None,
        "next_due": None,
        "running_on": None,
    }
    assert (got["jobs"], got["workers"]) == ({}, [])
    table = jobs(env, "status")
    assert table.returncode == 0, table.stderr
    assert "tariffs.expiry_scan" in table.stdout
    assert "never run" in table.stdout
    assert "when a worker starts" in table.stdout
    assert "Workers alive: 0" in table.stdout


def test_run_runs_the_task_now_and_status_shows_it(fresh):
    _, env = fresh
    before = utcnow().replace(microsecond=0)
    result = jobs(env, "run", "tariffs.expiry_scan")
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "tariffs.expiry_scan: ok: 0 expiry events recorded"
    )
    scan = status(env)["periodic"][0]
    assert (scan["runs"], scan["last_status"], scan["last_result"]) == (
        1,
        "ok",
        "0 expiry events recorded",
    )
    last_run = datetime.fromisoformat(scan["last_run"])
    next_due = datetime.fromisoformat(scan["next_due"])
    assert last_run >= before
    assert timedelta(minutes=1) <= next_due - last_run <= timedelta(minutes=1, seconds=7)


def test_run_refuses_an_unknown_task_and_names_the_known_ones(fresh):
    _, env = fresh
    result = jobs(env, "run", "market.ingest")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: no periodic task named 'market.ingest' (there are: tariffs.expiry_scan, "
        "market.day_ahead, market.back_check, jobs.purge, meters.partitions, "
        "integrations.refresh, integrations.purge_unconsented, integrations.upgrade_scan, "
        "integrations.octopus_library_sync)"
    )


def test_run_refuses_while_a_worker_runs_the_task(fresh):
    db, env = fresh
    [task] = tariffs_tasks.TASKS
    now = utcnow()
    with db.transaction() as session:
        leases.ensure_rows(session, [task], now=now)
        # Past the first due time's jitter, so the task is due for this claim.
        later = now + timedelta(seconds=10)
        leases.claim_due(session, [task], worker_id="wrk_elsewhere", now=later, limit=1)
    result = jobs(env, "run", "tariffs.expiry_scan")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: tariffs.expiry_scan is running on worker wrk_elsewhere until "
    )
    assert status(env)["periodic"][0]["running_on"] == "wrk_elsewhere"


def test_status_counts_queued_jobs_by_name_and_state(fresh):
    db, env = fresh
    with db.transaction() as session:
        for _ in range(2):
            enqueue(session, name="library.sync", payload={"provider": "octopus"})
    assert status(env)["jobs"] == {
        "library.sync": {"queued": 2, "running": 0, "done": 0, "dead": 0}
    }
