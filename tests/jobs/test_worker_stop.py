"""A real `tariffconnect worker` stopped (SIGTERM) while a periodic task hangs exits once its
grace period is over, instead of waiting for the task's thread: the task's lease runs out and
another worker runs that due time again (docs/operations.md). Before, Python's exit joined the
thread, so the worker lived as long as the task, and `scripts/cluster stop` had to SIGKILL it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.jobs.models import PeriodicTaskLease
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import fresh_database_url

pytestmark = pytest.mark.e2e
FEEDS = ("ENTSOE", "ENERGY_CHARTS", "ELEXON", "OCTOPUS", "ECB")


def hold_connections(listener: socket.socket, held: list[socket.socket]) -> None:
    """Accept every connection and never answer: a feed that hangs."""
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:  # closed at the end of the test
            return
        held.append(connection)


def test_a_stopped_worker_exits_after_its_grace_period_while_a_task_hangs(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=hold_connections, args=(listener, held), daemon=True).start()
    feed = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        db = Database(url, pool_size=1)
        upgrade(db.engine)
        # Due now (its first due time carries up to a minute of jitter).
        with db.transaction() as session:
            session.add(PeriodicTaskLease(name="market.day_ahead", due_at=utcnow(), runs=0))
        log = (tmp_path / "worker.log").open("wb")
        env = os.environ | {
            "TARIFFCONNECT_DATABASE_URL": url,
            "TARIFFCONNECT_DATA_DIR": str(tmp_path),
            "TARIFFCONNECT_WORKER_POLL_SECONDS": "0.1",
            # market.day_ahead's first feed call hangs for a minute.
            "TARIFFCONNECT_MARKET_FEED_TIMEOUT_SECONDS": "60",
            **{f"TARIFFCONNECT_{name}_URL": feed for name in FEEDS},
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "tariffconnect", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not held:  # the task is running: its first request reached the feed
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                time.sleep(0.05)
            with db.transaction(write=False) as session:
                lease = session.scalars(
                    select(PeriodicTaskLease).where(PeriodicTaskLease.name == "market.day_ahead")
                ).one()
                assert lease.leased_until is not None
            worker.send_signal(signal.SIGTERM)
            # The grace period is 10 s; the hanging call would last 60 s.
            assert worker.wait(timeout=40) == 0
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
            log.close()
            listener.close()
            for connection in held:
                connection.close()
            db.dispose()
    output = (tmp_path / "worker.log").read_text()
    assert "stopping with 1 tasks still running" in output, output
