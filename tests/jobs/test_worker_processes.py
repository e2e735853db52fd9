"""The runner in real processes: two workers never run one due time twice; a worker SIGKILLed
mid-task leaves its lease to run out and another runs that due time; the real
`tariffconnect worker` beats for GET /health/worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tariffconnect.db import Database
from tariffconnect.jobs.models import OK, PeriodicTaskLease
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url
from tests.helpers import assert_error

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def start(url: str, tmp_path: Path, index: int, **env: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"worker-{index}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.worker_process"],
        cwd=REPO,
        env=os.environ
        | {
            "TARIFFCONNECT_DATABASE_URL": url,
            "TARIFFCONNECT_DATA_DIR": str(tmp_path),
            "TARIFFCONNECT_WORKER_POLL_SECONDS": "0.05",
            "TASK_NAME": "test.record",
            "RECORD_FILE": str(tmp_path / "runs.txt"),
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=15)


def runs(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(start|end, due time, pid) for every line the workers wrote."""
    path = tmp_path / "runs.txt"
    if not path.exists():
        return []
    return [tuple(line.split()) for line in path.read_text().splitlines()]  # type: ignore[misc]


def wait_for(condition: Callable[[], bool], tmp_path: Path, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    logs = "\n".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("worker-*.log")))
    raise AssertionError(f"timed out waiting for {what}; worker output:\n{logs}")


def test_two_worker_processes_never_run_the_same_due_time(tmp_path):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        workers = [start(url, tmp_path, i) for i in range(2)]
        try:
            # Until both have run some due times (they race for each one) and 16 have ended.
            wait_for(
                lambda: len(started_by(tmp_path)) == 2 and ended(tmp_path) >= 16,
                tmp_path,
                "16 runs by both workers",
            )
        finally:
            for worker in workers:
                kill(worker, signal.SIGTERM)
    starts = [(due, pid) for kind, due, pid in runs(tmp_path) if kind == "start"]
    dues = [due for due, _ in starts]
    assert len(set(dues)) == len(dues), starts


def started_by(tmp_path: Path) -> set[str]:
    return {pid for kind, _, pid in runs(tmp_path) if kind == "start"}


def ended(tmp_path: Path) -> int:
    return sum(1 for kind, *_ in runs(tmp_path) if kind == "end")


def test_a_worker_killed_mid_task_leaves_the_due_time_to_another(tmp_path):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        first = start(url, tmp_path, 0, HOLD_SECONDS="60")
        second = None
        try:
            wait_for(lambda: len(runs(tmp_path)) >= 1, tmp_path, "the first worker's run")
            kill(first)
            [(_, killed_due, killed_pid)] = runs(tmp_path)
            second = start(url, tmp_path, 1)
            after = lambda: any(k == "end" and p != killed_pid for k, _, p in runs(tmp_path))  # noqa: E731
            wait_for(after, tmp_path, "the second worker's run")
        finally:
            kill(first)
            if second is not None:
                kill(second, signal.SIGTERM)
        db = Database(url, pool_size=1)
        try:
            with db.transaction(write=False) as session:
                row = session.get(PeriodicTaskLease, "test.record")
                assert row is not None
                status, total = row.last_status, row.runs
        finally:
            db.dispose()
    lines = runs(tmp_path)
    assert lines[0] == ("start", killed_due, killed_pid)
    # The second worker's first run is the due time the killed one never finished.
    assert lines[1][:2] == ("start", killed_due) and lines[1][2] != killed_pid
    assert lines[2] == ("end", killed_due, lines[1][2])
    assert ("end", killed_due, killed_pid) not in lines
    assert status == OK
    assert total == sum(1 for kind, *_ in lines if kind == "end")


def test_health_worker_follows_a_real_tariffconnect_worker(tmp_path):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        server = Server(
            tmp_path,
            url,
            TARIFFCONNECT_DEMO_ACCOUNT="false",
            TARIFFCONNECT_WORKER_IN_PROCESS="false",
            TARIFFCONNECT_WORKER_POLL_SECONDS="0.2",
        )
        server.start()
        worker = None
        try:
            health = f"{server.base}/health/worker"
            assert_error(httpx.get(health, timeout=5), 503, "worker_unavailable")
            log = (tmp_path / "worker-0.log").open("wb")
            worker = subprocess.Popen(
                [sys.executable, "-m", "tariffconnect", "worker"],
                env=server.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            up = lambda: httpx.get(health, timeout=5).status_code == 200  # noqa: E731
            wait_for(up, tmp_path, "the worker's first beat")
            body = httpx.get(health, timeout=5).json()
            assert set(body) == {"status", "workers", "last_seen"}
            assert (body["status"], body["workers"]) == ("ok", 1)
            kill(worker, signal.SIGTERM)  # a clean stop removes its row at once
            assert worker.returncode == 0
            assert_error(httpx.get(health, timeout=5), 503, "worker_unavailable")
        finally:
            if worker is not None:
                kill(worker)
            server.stop(signal.SIGKILL)
