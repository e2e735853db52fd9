"""Periodic tasks on the runner: once per due time across runners, failures contained,
leases fenced and renewed, and `jobs run`'s foreground run."""

import logging
import threading
import time
from datetime import timedelta

import pytest

from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.jobs import Every, PeriodicTask
from tariffconnect.jobs import periodic as leases
from tariffconnect.jobs.models import ERROR, OK
from tariffconnect.jobs.runner import TaskBusy, run_now
from tests.jobs.support import build, lease_row, run_until, runtime, unique


def recorder(runs, *, hold=0.0, lock=None):
    lock = lock or threading.Lock()

    def run(context):
        with lock:
            runs.append(context.due)
        time.sleep(hold)
        return f"run {len(runs)}"

    return run


def test_two_runners_run_each_due_time_once(settings, database):
    name, runs = unique("tick"), []
    task = PeriodicTask(name=name, schedule=Every(timedelta(seconds=0.1)), run=recorder(runs))
    rt = runtime(settings, database)
    pair = [build(rt, task), build(rt, task)]
    run_until(pair, lambda: len(runs) >= 8)
    assert len(set(runs)) == len(runs), runs  # no due time ran twice
    assert runs == sorted(runs)
    row = lease_row(database, name)
    assert row.runs >= 8
    assert (row.last_status, row.leased_until, row.lease_token) == (OK, None, None)


def test_a_failing_task_is_logged_and_retried_at_its_next_due_time(settings, database, caplog):
    broken_name, fine_name, fine_runs, attempts = unique("broken"), unique("fine"), [], []

    def broken(context):
        attempts.append(context.due)
        raise RuntimeError("feed unreachable")

    every = Every(timedelta(seconds=0.1))
    broken_task = PeriodicTask(name=broken_name, schedule=every, run=broken)
    fine_task = PeriodicTask(name=fine_name, schedule=every, run=recorder(fine_runs))
    runner = build(runtime(settings, database), broken_task, fine_task)
    with caplog.at_level(logging.ERROR, logger="tariffconnect.jobs"):
        run_until([runner], lambda: len(attempts) >= 3 and len(fine_runs) >= 3)
    assert len(set(attempts)) == len(attempts)  # each retry is a new due time
    row = lease_row(database, broken_name)
    assert (row.last_status, row.last_result) == (ERROR, "RuntimeError: feed unreachable")
    assert as_utc(row.due_at) > attempts[-1]
    assert lease_row(database, fine_name).last_status == OK
    failures = [r for r in caplog.records if broken_name in r.getMessage()]
    assert failures and failures[0].getMessage() == (
        f"periodic task {broken_name} failed; it runs again when next due"
    )
    assert failures[0].exc_info is not None


def test_a_task_longer_than_its_lease_keeps_it_while_its_runner_lives(settings, database):
    name, runs = unique("slow"), []
    task = PeriodicTask(
        name=name,
        schedule=Every(timedelta(seconds=0.05)),
        run=recorder(runs, hold=2.5),
        lease=timedelta(seconds=1.0),
    )
    rt = runtime(settings, database)
    run_until([build(rt, task), build(rt, task)], lambda: len(runs) >= 2, timeout=30)
    # Had the lease not been renewed, the second runner would have started the same due time
    # 1 s into the first run. (A lease of a second leaves a loaded machine's ticks room.)
    assert len(set(runs)) == len(runs)


def test_a_late_runner_is_fenced_out_once_its_lease_was_taken_over(database):
    name = unique("fenced")
    task = PeriodicTask(name=name, schedule=Every(timedelta(minutes=1)), run=lambda _c: None)
    now = utcnow()
    with database.transaction() as session:
        leases.ensure_rows(session, [task], now=now)
        [first] = leases.claim_due(session, [task], worker_id="wrk_a", now=now, limit=5)
    with database.transaction() as session:  # leased: not due for anyone else
        assert leases.claim_due(session, [task], worker_id="wrk_b", now=now, limit=5) == []
    later = now + task.lease + timedelta(seconds=1)
    with database.transaction() as session:
        [second] = leases.claim_due(session, [task], worker_id="wrk_b", now=later, limit=5)
    assert second.due_at == first.due_at  # the same due time, run again after the lease
    with database.transaction() as session:
        assert leases.finish(session, first, now=later, result="late", failed=False) is False
        assert leases.renew(session, first, now=later) is None
        assert leases.finish(session, second, now=later, result="done", failed=False) is True
    row = lease_row(database, name)
    assert (row.runs, row.last_result) == (1, "done")
    assert as_utc(row.due_at) == later + timedelta(minutes=1)


def test_declaring_a_task_again_keeps_its_schedule_row(database):
    name = unique("kept")
    task = PeriodicTask(name=name, schedule=Every(timedelta(hours=1)), run=lambda _c: None)
    now = utcnow()
    with database.transaction() as session:
        leases.ensure_rows(session, [task], now=now)
    with database.transaction() as session:
        leases.ensure_rows(session, [task], now=now + timedelta(minutes=30))
    assert as_utc(lease_row(database, name).due_at) == now


def test_run_now_runs_in_the_foreground_and_moves_the_next_due_time(settings, database):
    name, runs = unique("manual"), []
    task = PeriodicTask(name=name, schedule=Every(timedelta(hours=1)), run=recorder(runs))
    tracked = []

    def tracker(items, description):
        tracked.append((list(items), description))
        return items

    def iterate(context):
        return ",".join(context.track(["a", "b"], "letters"))

    listing = PeriodicTask(name=unique("listing"), schedule=Every(timedelta(hours=1)), run=iterate)
    rt = runtime(settings, database)
    before = utcnow()
    assert run_now(rt, task) is True
    row = lease_row(database, name)
    assert (row.runs, row.last_status, row.last_result, row.leased_until) == (1, OK, "run 1", None)
    assert as_utc(row.due_at) >= before + timedelta(hours=1)
    assert run_now(rt, listing, tracker=tracker) is True
    assert tracked == [(["a", "b"], "letters")]
    assert lease_row(database, listing.name).last_result == "a,b"


def test_run_now_refuses_while_a_worker_holds_the_task(settings, database):
    name = unique("busy")
    task = PeriodicTask(name=name, schedule=Every(timedelta(hours=1)), run=lambda _c: "ran")
    now = utcnow()
    with database.transaction() as session:
        leases.ensure_rows(session, [task], now=now)
        leases.claim_due(session, [task], worker_id="wrk_holder", now=now, limit=1)
    with pytest.raises(TaskBusy) as busy:
        run_now(runtime(settings, database), task)
    assert busy.value.lease.leased_by == "wrk_holder"
    assert lease_row(database, name).runs == 0


def test_run_now_records_a_failure_and_says_so(settings, database):
    def broken(_context):
        raise KeyError("tariff")

    task = PeriodicTask(name=unique("fails"), schedule=Every(timedelta(hours=1)), run=broken)
    assert run_now(runtime(settings, database), task) is False
    row = lease_row(database, task.name)
    assert (row.last_status, row.last_result) == (ERROR, "KeyError: 'tariff'")
