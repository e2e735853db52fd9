"""Running a real Runner in a test: its own registry with names no other test uses."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence

from sqlalchemy import select

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.jobs.models import PeriodicTaskLease, QueuedJob
from tariffconnect.jobs.registry import Registry
from tariffconnect.jobs.runner import Runner
from tariffconnect.runtime import Runtime

FAST = {"worker_poll_seconds": 0.05, "job_backoff_seconds": 0.01}


def unique(name: str) -> str:
    return f"test.{name}.{secrets.token_hex(4)}"


def runtime(settings: Settings, database: Database, **overrides: object) -> Runtime:
    return Runtime(settings=settings.model_copy(update=FAST | overrides), db=database)


def run_until(
    runners: Sequence[Runner], done: Callable[[], bool], *, timeout: float = 15.0
) -> None:
    """Run `runners` side by side until `done()` holds (checked in a thread), then stop them."""

    async def main() -> None:
        stop = asyncio.Event()
        running = [asyncio.create_task(runner.run(stop)) for runner in runners]
        deadline = time.monotonic() + timeout
        try:
            while not await asyncio.to_thread(done):
                if time.monotonic() > deadline:
                    raise AssertionError("timed out waiting for the runners")
                await asyncio.sleep(0.02)
        finally:
            stop.set()
            await asyncio.gather(*running)

    asyncio.run(main())


def job(database: Database, job_id: str) -> QueuedJob:
    with database.transaction(write=False) as session:
        return session.scalars(select(QueuedJob).where(QueuedJob.id == job_id)).one()


def lease_row(database: Database, name: str) -> PeriodicTaskLease | None:
    with database.transaction(write=False) as session:
        return session.get(PeriodicTaskLease, name)


def build(rt: Runtime, *declarations: object) -> Runner:
    return Runner(rt, Registry.of(declarations))
