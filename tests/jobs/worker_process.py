"""A real worker process for the runner's crash and concurrency tests: the production Runner
with one test task that records each run's due time in a file.

    TASK_NAME=… RECORD_FILE=… HOLD_SECONDS=… python -m tests.jobs.worker_process
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import timedelta

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.jobs import Every, PeriodicTask, Registry, TaskContext
from tariffconnect.jobs.runner import Runner
from tariffconnect.runtime import Runtime

LEASE = timedelta(seconds=2)


def record(context: TaskContext) -> str:
    assert context.due is not None
    line = f"{context.due.isoformat()} {os.getpid()}"
    path = os.environ["RECORD_FILE"]
    with open(path, "a") as out:  # one short write per line: appends do not interleave
        out.write(f"start {line}\n")
    time.sleep(float(os.environ.get("HOLD_SECONDS", "0")))
    with open(path, "a") as out:
        out.write(f"end {line}\n")
    return "recorded"


def main() -> None:
    settings = Settings()
    db = Database(settings.database_url_resolved, pool_size=2)
    upgrade(db.engine)
    task = PeriodicTask(
        name=os.environ["TASK_NAME"],
        schedule=Every(timedelta(seconds=0.2)),
        run=record,
        lease=LEASE,
    )
    runner = Runner(Runtime(settings=settings, db=db), Registry(periodic=(task,)))

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await runner.run(stop)

    try:
        asyncio.run(run())
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
