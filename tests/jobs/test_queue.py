"""Queued jobs: enqueued with the change, run once, retried with backoff, dead with the error."""

from datetime import timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from tariffconnect.core.timeutil import utcnow
from tariffconnect.jobs import JobHandler, enqueue
from tariffconnect.jobs import queue as jobqueue
from tariffconnect.jobs.models import DEAD, DONE, QUEUED, RUNNING, QueuedJob
from tests.jobs.support import build, job, run_until, runtime, unique


class Greeting(BaseModel):
    who: str


def count_jobs(database, name):
    with database.transaction(write=False) as session:
        return session.scalar(
            select(func.count()).select_from(QueuedJob).where(QueuedJob.name == name)
        )


def test_a_job_exists_exactly_when_its_transaction_commits(database):
    name = unique("greet")
    with pytest.raises(RuntimeError), database.transaction() as session:
        enqueue(session, name=name, payload=Greeting(who="rolled back"))
        raise RuntimeError("the change fails")
    assert count_jobs(database, name) == 0
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload=Greeting(who="Ada"))
    stored = job(database, queued.id)
    assert (stored.status, stored.attempts, stored.payload) == (QUEUED, 0, {"who": "Ada"})
    assert queued.id.startswith("job_")


def test_a_job_runs_once_with_its_parsed_payload_and_is_done(settings, database):
    name, seen = unique("greet"), []
    handler = JobHandler(name=name, payload=Greeting, run=lambda ctx, p: seen.append(p))
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"who": "Ada"})
    runner = build(runtime(settings, database), handler)
    run_until([runner], lambda: job(database, queued.id).status == DONE)
    done = job(database, queued.id)
    assert seen == [Greeting(who="Ada")]
    assert (done.attempts, done.last_error, done.leased_until) == (1, None, None)


def test_a_failing_job_is_retried_with_backoff_and_keeps_its_last_error(settings, database):
    name, calls = unique("flaky"), []

    def flaky(_ctx, _payload):
        calls.append(utcnow())
        if len(calls) < 3:
            raise RuntimeError(f"attempt {len(calls)} failed")

    handler = JobHandler(name=name, payload=Greeting, run=flaky)
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"who": "Ada"})
    rt = runtime(settings, database, job_backoff_seconds=0.2)
    run_until([build(rt, handler)], lambda: job(database, queued.id).status == DONE)
    done = job(database, queued.id)
    assert done.attempts == 3
    assert done.last_error == "RuntimeError: attempt 2 failed"  # kept after the success
    # The second wait (0.4 s, doubled) is longer than the first (0.2 s).
    first, second = calls[1] - calls[0], calls[2] - calls[1]
    assert first >= timedelta(seconds=0.2)
    assert second >= timedelta(seconds=0.4)


def test_a_job_goes_dead_after_its_attempts_with_the_last_error(settings, database):
    name, calls = unique("doomed"), []

    def doomed(_ctx, _payload):
        calls.append(1)
        raise ValueError(f"no luck {len(calls)}")

    handler = JobHandler(name=name, payload=Greeting, run=doomed, max_attempts=3)
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"who": "Ada"})
    run_until(
        [build(runtime(settings, database), handler)],
        lambda: job(database, queued.id).status == DEAD,
    )
    dead = job(database, queued.id)
    assert (dead.attempts, dead.last_error, len(calls)) == (3, "ValueError: no luck 3", 3)


def test_the_attempts_pinned_at_enqueue_win_over_the_handler_and_the_setting(settings, database):
    name = unique("pinned")

    def fails(_ctx, _payload):
        raise RuntimeError("down")

    handler = JobHandler(name=name, payload=Greeting, run=fails, max_attempts=5)
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"who": "Ada"}, max_attempts=1)
    run_until(
        [build(runtime(settings, database), handler)],
        lambda: job(database, queued.id).status == DEAD,
    )
    assert job(database, queued.id).attempts == 1


def test_a_payload_that_no_longer_parses_goes_dead_at_once(settings, database):
    name, seen = unique("greet"), []
    handler = JobHandler(name=name, payload=Greeting, run=lambda ctx, p: seen.append(p))
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"whom": "Ada"})
    run_until(
        [build(runtime(settings, database), handler)],
        lambda: job(database, queued.id).status == DEAD,
    )
    dead = job(database, queued.id)
    assert seen == []
    assert dead.attempts == 1
    assert dead.last_error.startswith(
        "payload invalid: ValidationError: 1 validation error for Greeting"
    )
    assert "who\n  Field required" in dead.last_error


def test_a_job_waits_for_its_run_after_time(database):
    name = unique("later")
    now = utcnow()
    with database.transaction() as session:
        enqueue(session, name=name, payload={}, run_after=now + timedelta(minutes=5))
    with database.transaction() as session:
        assert jobqueue.claim(session, [name], now=now, lease=timedelta(seconds=30), limit=5) == []
    with database.transaction() as session:
        later = now + timedelta(minutes=5)
        leases = jobqueue.claim(session, [name], now=later, lease=timedelta(seconds=30), limit=5)
    assert [lease.attempts for lease in leases] == [1]


def test_a_job_whose_worker_died_is_claimed_again_and_the_late_worker_changes_nothing(database):
    name = unique("orphan")
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={})
    now = utcnow()
    lease = timedelta(seconds=30)
    with database.transaction() as session:
        [first] = jobqueue.claim(session, [name], now=now, lease=lease, limit=1)
    with database.transaction() as session:  # still leased: nobody else gets it
        assert (
            jobqueue.claim(session, [name], now=now + timedelta(seconds=29), lease=lease, limit=1)
            == []
        )
    after = now + timedelta(seconds=31)
    with database.transaction() as session:
        [second] = jobqueue.claim(session, [name], now=after, lease=lease, limit=1)
    assert (second.job_id, second.attempts) == (queued.id, 2)
    with database.transaction() as session:
        assert jobqueue.succeed(session, first, now=after) is False  # fenced out
    assert job(database, queued.id).status == RUNNING
    with database.transaction() as session:
        assert jobqueue.succeed(session, second, now=after) is True
    assert job(database, queued.id).status == DONE


def test_a_job_whose_worker_died_on_its_last_attempt_goes_dead_without_running(settings, database):
    name, seen = unique("poison"), []
    handler = JobHandler(
        name=name, payload=Greeting, run=lambda ctx, p: seen.append(p), max_attempts=2
    )
    with database.transaction() as session:
        queued = enqueue(session, name=name, payload={"who": "Ada"})
    now = utcnow()
    for minutes in (0, 10):  # two workers claimed it and died mid-run
        with database.transaction() as session:
            jobqueue.claim(
                session,
                [name],
                now=now + timedelta(minutes=minutes),
                lease=timedelta(minutes=5),
                limit=1,
            )
    rt = runtime(settings, database)
    with database.transaction() as session:  # the lease of the second has run out, too
        session.get(QueuedJob, queued.id).leased_until = now - timedelta(seconds=1)
    run_until([build(rt, handler)], lambda: job(database, queued.id).status == DEAD)
    dead = job(database, queued.id)
    assert seen == []
    assert (dead.attempts, dead.last_error) == (3, "its worker stopped during attempt 2 of 2")


def test_retry_delays_double_up_to_six_hours_with_bounded_jitter():
    base = timedelta(seconds=10)
    for attempts, expected in (
        (1, 10),
        (2, 20),
        (3, 40),
        (12, 20480),
        (13, 6 * 3600),
        (40, 6 * 3600),
    ):
        delay = jobqueue.retry_delay(attempts, base=base).total_seconds()
        assert expected <= delay <= expected * 1.2
