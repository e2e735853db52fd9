"""The delivery worker as real `tariffconnect worker` processes: crashes and concurrency.

- A worker SIGKILLed while its deliveries are in flight loses nothing: once its lease runs
  out another worker sends them again, with the same `webhook-id`.
- Two workers racing over the same queue (PostgreSQL, FOR UPDATE SKIP LOCKED) never both send
  one delivery.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import httpx
import orjson
import pytest
from sqlalchemy import select

from tariffconnect.db import Database
from tariffconnect.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.e2e


class Stack:
    """A served API on a fresh database, an account in it, and a way to start workers."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.server = Server(
            tmp_path,
            database_url,
            TARIFFCONNECT_DEMO_ACCOUNT="false",
            TARIFFCONNECT_WORKER_IN_PROCESS="false",
        )
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs: list[IO[bytes]] = []
        self.headers: dict[str, str] = {}

    def start(self) -> None:
        self.server.start()
        created = subprocess.run(
            [sys.executable, "-m", "tariffconnect", "account", "create", "--json"],
            env=self.server.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        account = json.loads(created.stdout)
        login = httpx.get(
            f"{self.server.base}/login",
            auth=(account["account_id"], account["test_api_key"]),
            timeout=10,
        )
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['bearer_token']}"}

    def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        response = httpx.post(
            f"{self.server.base}{path}", json=body, headers=self.headers, timeout=10
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def register(self, url: str) -> str:
        return str(self.post("/webhook_endpoints", {"url": url, "enabled_events": ["*"]})["id"])

    def make_location(self) -> str:
        body = {"postal_address": {"city": "York", "country_code": "GB"}}
        return str(self.post("/locations", body)["id"])

    def start_worker(self, lease_seconds: float) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"worker-{len(self.workers)}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "tariffconnect", "worker"],
            env=self.server.env | {"TARIFFCONNECT_WEBHOOK_LEASE_SECONDS": str(lease_seconds)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def worker_log(self, index: int) -> str:
        return (self.tmp_path / f"worker-{index}.log").read_text(errors="replace")

    def worker_logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for process in self.workers:
            kill(process)
        for log in self.logs:
            log.close()
        self.server.stop(signal.SIGKILL)


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def running_stack(tmp_path: Path) -> Iterator[Stack]:
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        stack = Stack(tmp_path, url)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


@contextmanager
def opened(url: str) -> Iterator[Database]:
    db = Database(url, pool_size=1)
    try:
        yield db
    finally:
        db.dispose()


def deliveries(db: Database, endpoint_id: str) -> list[WebhookDelivery]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            ).all()
        )


def wait_for(condition: Callable[[], bool], timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker output:\n{stack.worker_logs()}")


def received_events(receiver: Receiver) -> list[tuple[str, str]]:
    """(webhook-id, event data id) for every request the receiver has finished."""
    with receiver.lock:
        got = list(receiver.received)
    return [(r.headers["webhook-id"], orjson.loads(r.body)["data"]["id"]) for r in got]


def test_a_worker_killed_mid_delivery_loses_nothing_and_retries_keep_the_id(tmp_path):
    with ExitStack() as cleanup:
        stack = cleanup.enter_context(running_stack(tmp_path))
        receiver = Receiver(delay=5.0).start()
        cleanup.callback(receiver.stop)
        db = cleanup.enter_context(opened(stack.database_url))
        endpoint_id = stack.register(receiver.url)
        locations = {stack.make_location() for _ in range(3)}
        assert len(deliveries(db, endpoint_id)) == 3

        first = stack.start_worker(lease_seconds=2)
        # The worker has claimed (leased) all three once their leases show in the database;
        # it posts them at once, and the receiver holds each request for 5 s.
        wait_for(
            lambda: all(d.locked_until is not None for d in deliveries(db, endpoint_id)),
            20,
            "the first worker to claim the deliveries",
            stack,
        )
        # Killed only once its three requests are at the receiver (held there), however slow
        # a loaded machine makes the worker between claiming and sending.
        wait_for(lambda: receiver.arrived >= 3, 20, "the first worker's requests", stack)
        assert first.poll() is None, stack.worker_logs()
        kill(first)  # SIGKILL: no chance to record anything
        killed_at = time.monotonic()
        receiver.delay = 0.0
        rows = deliveries(db, endpoint_id)
        assert all(r.status == "pending" and r.attempts == 0 for r in rows)

        stack.start_worker(lease_seconds=2)
        # Wait for the second worker's copies and for the receiver to finish the first
        # worker's held requests (their 5 s hold ends after the kill).
        wait_for(
            lambda: (
                {event for _, event in received_events(receiver)} == locations
                and all(r.status == "succeeded" for r in deliveries(db, endpoint_id))
            ),
            20,
            "every event to be delivered",
            stack,
        )
        wait_for(
            lambda: len(received_events(receiver)) >= 6 or time.monotonic() - killed_at > 6,
            10,
            "the first worker's held requests",
            stack,
        )

        got = received_events(receiver)
        rows = deliveries(db, endpoint_id)
        id_of_event = {r.event_id: r.id for r in rows}
        by_event = {}
        for webhook_id, location_id in got:
            by_event.setdefault(location_id, set()).add(webhook_id)
        assert set(by_event) == locations
        # Each event arrived under one webhook-id only (its delivery's), however often.
        assert all(len(ids) == 1 for ids in by_event.values()), by_event
        assert {webhook_id for webhook_id, _ in got} == set(id_of_event.values())
        # The first worker really was mid-delivery: its three requests reached the receiver
        # too, so each event arrived twice.
        assert len(got) == 6, got
        assert all(r.status == "succeeded" and r.attempts == 1 for r in rows)
        assert all(r.locked_until is None for r in rows)
        # The killed worker never saw an answer; the second one sent each event once.
        sent = [stack.worker_log(i).count("HTTP Request: POST") for i in range(2)]
        assert sent == [0, 3], sent


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SKIP LOCKED needs PostgreSQL")
def test_two_workers_never_send_the_same_delivery(tmp_path):
    with ExitStack() as cleanup:
        stack = cleanup.enter_context(running_stack(tmp_path))
        receiver = Receiver(delay=0.2).start()
        # A claimed batch is sent all at once; the receiver's listen backlog (5) would reset
        # some of those connections, and the retry would show as a second attempt.
        assert receiver.server is not None
        receiver.server.socket.listen(128)
        cleanup.callback(receiver.stop)
        db = cleanup.enter_context(opened(stack.database_url))
        endpoint_id = stack.register(receiver.url)
        locations = {stack.make_location() for _ in range(20)}

        workers = [stack.start_worker(lease_seconds=30) for _ in range(2)]
        started = time.monotonic()
        wait_for(
            lambda: all(r.status == "succeeded" for r in deliveries(db, endpoint_id)),
            20,
            "the first 20 events to be delivered",
            stack,
        )
        # Both workers are polling by now (start-up takes under 2 s). The other 20 events arrive
        # one by one, so the two race to claim each new delivery while one of them is sending.
        time.sleep(max(0.0, started + 4 - time.monotonic()))
        for _ in range(20):
            locations.add(stack.make_location())
            time.sleep(0.03)
        assert len(locations) == 40

        wait_for(
            lambda: (
                {event for _, event in received_events(receiver)} == locations
                and all(r.status == "succeeded" for r in deliveries(db, endpoint_id))
            ),
            30,
            "all 40 events to be delivered",
            stack,
        )
        time.sleep(0.5)  # a late duplicate would show by now
        assert all(w.poll() is None for w in workers), stack.worker_logs()

        got = received_events(receiver)
        webhook_ids = [webhook_id for webhook_id, _ in got]
        assert len(got) == 40, sorted(webhook_ids)
        assert len(set(webhook_ids)) == 40
        assert {event for _, event in got} == locations
        rows = deliveries(db, endpoint_id)
        assert len(rows) == 40
        assert {r.id for r in rows} == set(webhook_ids)
        with db.transaction(write=False) as session:
            attempts = session.execute(
                select(
                    WebhookAttempt.delivery_id, WebhookAttempt.http_status, WebhookAttempt.error
                ).where(WebhookAttempt.endpoint_id == endpoint_id)
            ).all()
        assert all(r.status == "succeeded" and r.attempts == 1 for r in rows), attempts
        assert sorted(a.delivery_id for a in attempts) == sorted(webhook_ids)
        # The workers' own logs agree: 40 POSTs between them, none that failed to arrive.
        sent = [stack.worker_log(i).count("HTTP Request: POST") for i in range(2)]
        assert sum(sent) == 40, sent
        assert min(sent) > 0, f"one worker sent everything, so nothing raced: {sent}"
