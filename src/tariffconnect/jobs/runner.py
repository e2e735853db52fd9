"""The one background runner: periodic tasks, queued jobs, and the hot pumps (webhooks).

Two loops share an event loop:
- the pump loop calls each pump's `run_once()` back to back while any has work, and polls
  every PUMP_POLL_SECONDS when none has (webhook deliveries keep their own table and leases;
  the runner only drives them);
- the job loop wakes every `worker_poll_seconds`: in one write transaction it writes this
  worker's heartbeat, renews the leases of what it runs, and claims due periodic tasks and
  queued jobs for its free slots (`worker_concurrency`). Each claimed unit runs in a thread.

A task or job that raises is logged with its name and settled (a periodic task is due again at
its next due time; a job is retried with backoff or goes dead); it never stops the runner. A
database outage is logged and retried at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from anyio import to_thread
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow
from tariffconnect.jobs import beats, periodic, queue
from tariffconnect.jobs.models import PeriodicTaskLease
from tariffconnect.jobs.registry import JobHandler, PeriodicTask, Registry, TaskContext, Tracker
from tariffconnect.runtime import Runtime

log = logging.getLogger("tariffconnect.jobs")
PUMP_POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 10.0  # how long a stopping worker waits for what it runs
T = TypeVar("T")


class Pump(Protocol):
    """A hot queue with its own table, drained as fast as it has work."""

    async def run_once(self) -> bool:
        """One round; True when there was work."""

    async def aclose(self) -> None:
        """Release what the pump holds (connections) when the runner stops."""


def describe_error(error: BaseException) -> str:
    """What is kept of a failure: its type and message, never a traceback."""
    return f"{type(error).__name__}: {error}"


class Runner:
    def __init__(self, runtime: Runtime, registry: Registry, *, pumps: Sequence[Pump] = ()) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.registry = registry
        self.pumps = tuple(pumps)
        self.worker_id = new_id("wrk")
        self.poll = settings.worker_poll_seconds
        self.slots = settings.worker_concurrency
        self.job_lease = timedelta(seconds=settings.job_lease_seconds)
        self.started = utcnow()
        self._claims: dict[str, periodic.Claim] = {}
        self._leases: dict[str, queue.Lease] = {}
        self._renewed: dict[str, datetime] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._rows_ready = False

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then let what is running finish (up to a grace period)."""
        try:
            await asyncio.gather(self._pump_loop(stop), self._job_loop(stop))
        finally:
            await self._drain()
            for pump in self.pumps:
                await pump.aclose()
            with contextlib.suppress(Exception):  # a clean stop; the row expires anyway
                await to_thread.run_sync(self._forget)

    # --- the loops --------------------------------------------------------------------------

    async def _pump_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            worked = False
            for pump in self.pumps:
                try:
                    worked = await pump.run_once() or worked
                except Exception:  # a database hiccup must not kill the worker
                    log.exception("%s round failed", type(pump).__name__)
            if not worked:
                await _wait(stop, PUMP_POLL_SECONDS)

    async def _job_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            full = await self._poll()
            if full:  # every free slot was filled: more may be due as soon as one frees
                self._wake.clear()
                await _wait(stop, self.poll, self._wake)
            else:
                await _wait(stop, self.poll)

    async def _poll(self) -> bool:
        """One poll: claim in a thread, then start what was claimed. True when every free slot
        was filled (there may be more)."""
        free = self.slots - len(self._running)
        try:
            claims, leases = await to_thread.run_sync(self.tick, free)
        except Exception:
            log.exception("job runner poll failed; trying again in %s s", self.poll)
            return False
        for claim in claims:
            self._claims[claim.task.name] = claim
            self._start_unit(f"task:{claim.task.name}", self.run_task, claim)
        for lease in leases:
            self._leases[lease.job_id] = lease
            self._start_unit(f"job:{lease.job_id}", self.run_job, lease)
        return free > 0 and len(claims) + len(leases) == free

    def tick(self, free: int) -> tuple[list[periodic.Claim], list[queue.Lease]]:
        """In one write transaction: beat, renew what runs here, and claim due periodic tasks
        and queued jobs for up to `free` slots."""
        now = utcnow()
        with self.runtime.db.transaction() as session:
            if not self._rows_ready:
                periodic.ensure_rows(session, self.registry.periodic, now=now)
            beats.beat(
                session,
                worker_id=self.worker_id,
                poll_seconds=self.poll,
                started=self.started,
                now=now,
            )
            self._renew(session, now=now)
            claims = periodic.claim_due(
                session, self.registry.periodic, worker_id=self.worker_id, now=now, limit=free
            )
            names = [handler.name for handler in self.registry.handlers]
            leases = queue.claim(
                session, names, now=now, lease=self.job_lease, limit=free - len(claims)
            )
        self._rows_ready = True
        # A lease's renewal clock starts when it was taken, not at the next tick: a slow tick
        # (a busy database) must not eat the margin before the first renewal.
        for key in [claim.task.name for claim in claims] + [lease.job_id for lease in leases]:
            self._renewed[key] = now
        return claims, leases

    def _renew(self, session: Session, *, now: datetime) -> None:
        for name, claim in list(self._claims.items()):
            if self._due_for_renewal(name, claim.task.lease, now):
                renewed = periodic.renew(session, claim, now=now)
                if renewed is None:
                    log.warning("periodic task %s: lease lost while running", name)
                else:
                    self._claims[name] = renewed
        for job_id, lease in list(self._leases.items()):
            if self._due_for_renewal(job_id, self.job_lease, now):
                queue.renew(session, lease, until=now + self.job_lease)

    def _due_for_renewal(self, key: str, lease: timedelta, now: datetime) -> bool:
        last = self._renewed.setdefault(key, now)
        if now - last < lease / 3:
            return False
        self._renewed[key] = now
        return True

    def _start_unit(self, label: str, work: Callable[[T], None], item: T) -> None:
        async def unit() -> None:
            try:
                await to_thread.run_sync(work, item)
            except Exception:  # settling failed (database down): the lease runs out instead
                log.exception("%s: could not record its outcome", label)
            finally:
                self._wake.set()

        task = asyncio.create_task(unit(), name=label)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    # --- one unit of work, in a thread --------------------------------------------------------

    def run_task(self, claim: periodic.Claim) -> None:
        """Run a claimed periodic task and record its outcome."""
        try:
            execute(self.runtime, claim)
        finally:
            self._claims.pop(claim.task.name, None)
            self._renewed.pop(claim.task.name, None)

    def run_job(self, lease: queue.Lease) -> None:
        """Run a claimed queued job and settle it (done, retry later, or dead)."""
        handler = self.registry.handler(lease.name)
        assert handler is not None  # only the names of registered handlers are claimed
        settings = self.runtime.settings
        limit = lease.max_attempts or handler.max_attempts or settings.job_max_attempts
        error, final = self._attempt(lease, handler, limit)
        backoff = timedelta(seconds=settings.job_backoff_seconds)
        try:
            with self.runtime.db.transaction() as session:
                now = utcnow()
                if error is None:
                    settled = queue.succeed(session, lease, now=now)
                else:
                    settled = queue.fail(
                        session,
                        lease,
                        now=now,
                        error=error,
                        limit=limit,
                        backoff=backoff,
                        final=final,
                    )
                if not settled:
                    log.warning("job %s: lease lost; its outcome is dropped", lease.job_id)
        finally:
            self._leases.pop(lease.job_id, None)
            self._renewed.pop(lease.job_id, None)

    def _attempt(
        self, lease: queue.Lease, handler: JobHandler, limit: int
    ) -> tuple[str | None, bool]:
        """Run the job once: (None, False) on success, else (its error, whether it is final)."""
        if lease.attempts > limit:  # the worker of the last attempt died mid-run
            return f"its worker stopped during attempt {limit} of {limit}", True
        try:
            payload = handler.payload.model_validate(lease.payload)
        except ValidationError as invalid:
            return f"payload invalid: {describe_error(invalid)}", True
        try:
            handler.run(self._context(), payload)
        except Exception as failure:
            log.exception("job %s (%s) attempt %d failed", lease.job_id, lease.name, lease.attempts)
            return describe_error(failure), False
        return None, False

    def _context(self, *, due: datetime | None = None) -> TaskContext:
        return TaskContext(runtime=self.runtime, now=utcnow(), due=due)

    # --- stopping -------------------------------------------------------------------------

    async def _drain(self) -> None:
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=STOP_GRACE_SECONDS)
        if pending:
            # Threads cannot be cancelled; their leases run out and another worker takes over.
            log.warning("stopping with %d tasks still running", len(pending))

    def _forget(self) -> None:
        with self.runtime.db.transaction() as session:
            beats.forget(session, worker_id=self.worker_id)


class TaskBusy(Exception):
    """The task is leased by another worker right now."""

    def __init__(self, lease: PeriodicTaskLease) -> None:
        super().__init__(f"running on worker {lease.leased_by} until {lease.leased_until}")
        self.lease = lease


def execute(runtime: Runtime, claim: periodic.Claim, *, tracker: Tracker | None = None) -> bool:
    """Run a claimed task and record how it went; True when it succeeded.

    A task that raises is logged with its name and is due again at its next due time.
    """
    name = claim.task.name
    context = TaskContext(runtime=runtime, now=utcnow(), due=claim.due_at)
    if tracker is not None:
        context = replace(context, tracker=tracker)
    try:
        result, failed = claim.task.run(context), False
    except Exception as error:
        log.exception("periodic task %s failed; it runs again when next due", name)
        result, failed = describe_error(error), True
    with runtime.db.transaction() as session:
        if not periodic.finish(session, claim, now=utcnow(), result=result, failed=failed):
            log.warning("periodic task %s: lease lost; its outcome is dropped", name)
    return not failed


def run_now(runtime: Runtime, task: PeriodicTask, *, tracker: Tracker | None = None) -> bool:
    """Run `task` in the foreground now, under its lease (`tariffconnect jobs run`); raise
    TaskBusy when a worker is running it. True when it succeeded."""
    with runtime.db.transaction() as session:
        got = periodic.claim_now(session, task, worker_id=new_id("cli"), now=utcnow())
    if isinstance(got, PeriodicTaskLease):
        raise TaskBusy(got)
    return execute(runtime, got, tracker=tracker)


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep up to `seconds`, waking early when `stop` (or `wake`) is set."""
    if wake is None:  # the idle path, 20 times a second: one waiter, no extra tasks
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        return
    events = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        events.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(events, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in events:
            waiter.cancel()
