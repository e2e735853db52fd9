"""The supported scale-out (docs/deploy.md) under load while processes crash.

`scripts/cluster` starts HAProxy in front of two `tariffconnect serve` processes, two
`tariffconnect worker` processes, one PostgreSQL database and Redis. A few threads send a
mixed load through HAProxy (logins, locations, Connect sessions with an Idempotency-Key,
Connect flow calls, prices, and the webhooks all that sets off, to a real receiver) while
the test SIGKILLs one API process and one worker and starts them again. Then:

- every answer is the one its request expects, except requests in flight on the killed API
  process at the moment it died: those that are not safe to send twice are answered 502 by
  HAProxy (logged against the killed server, closed with no answer), at most one per load
  thread; every other one (reads, prices, writes with an Idempotency-Key) was sent again to
  the other process and answered as expected (a Connect session's retry may meet its first
  attempt's claim: 409 idempotency_key_in_use). No surviving process answered a 5xx;
- every event of the load's accounts reached the receiver;
- no periodic task ran twice for one due time (a trigger records every claim and finish),
  except a due time whose claim the killed worker held: another worker takes that over;
- one bearer token's rate limit holds across both API processes together: exactly N allowed,
  then 429, whichever process answers.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from tariffconnect.accounts import service as accounts
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.events.models import Event
from tariffconnect.jobs.models import WorkerBeat
from tests.conftest import TEST_DATABASE_URL
from tests.connect.flow.flow import plain_provider
from tests.e2e.cluster import (
    Cluster,
    free_block,
    install_task_audit,
    make_due_now,
    proxy_lines,
    require_haproxy,
    task_audit,
)
from tests.e2e.server import fresh_database_url
from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason="the cluster runs on PostgreSQL (set TARIFFCONNECT_TEST_DATABASE_URL)",
    ),
]

THREADS = 4
API_LIMIT = 20  # requests per bearer token per minute, for every token of the cluster
TOKEN_BUDGET = 8  # a load thread logs in again after this many: far below the limit
STEP = 40  # load requests between two moves of the chaos script
ADDRESS = {
    "address_line1": "10 Downing Street",
    "city": "London",
    "post_code": "SW1A 2AA",
    "country_code": "GB",
}
CONNECT_BACK = "https://app.example.com/connect"
CALLBACK = "https://app.example.com/done"
NO_ANSWER = 0  # the status recorded for a connection closed without an answer
# Kinds whose request HAProxy must not send twice (no Idempotency-Key, not a read).
UNSAFE = {"location", "flow_start", "flow_provider"}
EXPECTED = {
    "login": 200,
    "location": 201,
    "location_get": 200,
    "connect": 200,
    "flow_start": 200,
    "flow_provider": 200,
    "prices": 200,
}


@dataclass(frozen=True)
class Result:
    id: str
    kind: str
    status: int
    code: str | None
    sent: float
    done: float


@dataclass
class Tenant:
    account_id: str
    key: str
    priced_location: str = ""


@dataclass
class Load:
    """The load threads' shared record: every request they sent and what came back."""

    base: str
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)

    def count(self) -> int:
        with self.lock:
            return len(self.results)

    def wait_for(self, more: int, timeout: float = 60) -> None:
        """Until the threads have sent `more` requests since now (progress, not a clock)."""
        target = self.count() + more
        deadline = time.monotonic() + timeout
        while self.count() < target:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"load stalled at {self.count()} requests"
            time.sleep(0.02)


class Client:
    """One load thread's HTTP client: every request carries an id HAProxy logs."""

    def __init__(self, load: Load, name: str) -> None:
        self.load = load
        self.name = name
        self.http = httpx.Client(base_url=load.base, timeout=40)
        self.numbers = itertools.count()
        self.used = 0
        self.headers: dict[str, str] = {}

    def send(self, kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        load_id = f"{self.name}-{next(self.numbers)}"
        headers = {"x-load-id": load_id} | kwargs.pop("headers", {})
        sent = time.monotonic()
        try:
            response = self.http.request(method, path, headers=headers, **kwargs)
        except httpx.RemoteProtocolError:
            # HAProxy closed this keep-alive connection with no answer: what it does when a
            # server dies under a request it may not send again (docs/deploy.md).
            done = time.monotonic()
            with self.load.lock:
                self.load.results.append(Result(load_id, kind, NO_ANSWER, None, sent, done))
            return httpx.Response(NO_ANSWER)
        done = time.monotonic()
        code = None
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            code = response.json().get("code")
        with self.load.lock:
            self.load.results.append(Result(load_id, kind, response.status_code, code, sent, done))
        return response

    def login(self, tenant: Tenant) -> None:
        """Log in for a new token. Tokens are made to the second: a login within the same
        second gives the same token, with the same count against its limit, so until the
        token is a new one, log in again a little later."""
        while True:
            response = self.send("login", "GET", "/login", auth=(tenant.account_id, tenant.key))
            assert response.status_code == 200, response.text
            headers = {"Authorization": f"Bearer {response.json()['bearer_token']}"}
            if headers != self.headers:
                self.headers = headers
                self.used = 0
                return
            time.sleep(0.1)

    def api(self, tenant: Tenant, kind: str, method: str, path: str, **kw: Any) -> httpx.Response:
        if not self.headers or self.used >= TOKEN_BUDGET:
            self.login(tenant)
        self.used += 1
        headers = self.headers | kw.pop("headers", {})
        return self.send(kind, method, path, headers=headers, **kw)

    def flow(self, kind: str, body: dict[str, Any]) -> httpx.Response:
        return self.send(kind, "POST", "/connect/flow", content=orjson.dumps(body))


def complete_flow(client: Client, tenant: Tenant, location_id: str) -> None:
    """A Connect session through to a FIXED tariff, so that the location has prices."""
    session = client.api(
        tenant,
        "setup",
        "POST",
        "/connect",
        json={"location_id": location_id, "connect_url": CONNECT_BACK, "callback_url": CALLBACK},
    )
    assert session.status_code == 200, session.text
    token = session.json()["id"]
    steps: list[dict[str, Any]] = [
        {"route": "session_start", "type": "submit"},
        {"route": "provider_select", "data": {"provider": {"id": plain_provider()}}},
        {"action": "FIXED"},
        {"data": {"cost": 0.245}},
        {"data": {"tariff": {"name": "Flat"}}},
        {},
        {"route": "tariff_summary", "action": "CLOSE"},
    ]
    route = "session_start"
    for step in steps:
        page = client.flow("setup", {"connect_token": token, "route": route, **step})
        assert page.status_code == 200, page.text
        route = page.json()["route"]
    assert route == "session_redirect"


def load_loop(client: Client, tenant: Tenant) -> None:
    prices_body = {
        "location_id": tenant.priced_location,
        "end_time": (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    while not client.load.stop.is_set():
        created = client.api(
            tenant, "location", "POST", "/locations", json={"postal_address": ADDRESS}
        )
        if created.status_code != 201:
            continue  # answered 502 at the kill: nothing to build on
        location_id = created.json()["id"]
        client.api(tenant, "location_get", "GET", f"/locations/{location_id}")
        session = client.api(
            tenant,
            "connect",
            "POST",
            "/connect",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "location_id": location_id,
                "connect_url": CONNECT_BACK,
                "callback_url": CALLBACK,
            },
        )
        if session.status_code == 200:
            token = session.json()["id"]
            start = client.flow(
                "flow_start", {"connect_token": token, "route": "session_start", "type": "submit"}
            )
            if start.status_code == 200:
                client.flow(
                    "flow_provider",
                    {
                        "connect_token": token,
                        "route": "provider_select",
                        "data": {"provider": {"id": plain_provider()}},
                    },
                )
        client.api(tenant, "prices", "POST", "/prices", json=prices_body)


def run_thread(load: Load, work: Callable[[], None]) -> threading.Thread:
    def target() -> None:
        try:
            work()
        except BaseException as error:  # reported by the main thread
            load.errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def received_event_ids(receiver: Receiver) -> set[str]:
    with receiver.lock:
        return {orjson.loads(r.body)["id"] for r in receiver.received}


def test_cluster_survives_a_killed_api_process_and_a_killed_worker(tmp_path):
    require_haproxy()
    first_port = free_block(4)
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        db = Database(url, pool_size=2)
        # Migrated before the cluster starts, so the audit trigger sees the workers' first claim.
        upgrade(db.engine)
        install_task_audit(db.engine)
        with db.transaction() as session:
            tenants = []
            for n in range(THREADS + 1):
                account = accounts.create(session, name=f"cluster-{n}")
                key = accounts.create_key(session, account_id=account.id, live_mode=False)
                tenants.append(Tenant(account.id, key.secret))
        # Each webhook held a moment, so that the killed worker likely dies mid-delivery.
        receiver = Receiver(delay=0.05).start(port=first_port + 3)
        # A delivery's requests may come in together: room for them in the listen queue.
        assert receiver.server is not None
        receiver.server.socket.listen(128)
        cluster = Cluster(
            tmp_path / "cluster",
            url,
            first_port,
            # A Redis database of its own (the counters' keys, token hashes and account ids,
            # are this test's alone anyway).
            TC_CLUSTER_REDIS_URL="redis://127.0.0.1:6379/5",
            TARIFFCONNECT_DEMO_ACCOUNT="false",
            TARIFFCONNECT_RATE_LIMIT_API=f"{API_LIMIT}/minute",
            TARIFFCONNECT_WORKER_POLL_SECONDS="0.2",
            # A killed worker's deliveries are sent again once their lease is out.
            TARIFFCONNECT_WEBHOOK_LEASE_SECONDS="3",
        )
        started: dict[str, int] = {}
        load = Load(cluster.base)
        try:
            cluster.run("start")
            started |= cluster.pids()
            _exercise(load, cluster, db, tenants, receiver, started)
        finally:
            load.stop.set()
            stopping = cluster.pids()
            cluster.run("stop")
            receiver.stop()
            db.dispose()
        # Stopped cleanly: every process the cluster ever ran is gone, no pid file is left.
        assert set(stopping) == {"api-1", "api-2", "worker-1", "worker-2", "haproxy"}
        assert not list(cluster.run_dir.glob("*.pid"))
        for pid in {*started.values(), *stopping.values()}:
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)


def _exercise(
    load: Load,
    cluster: Cluster,
    db: Database,
    tenants: list[Tenant],
    receiver: Receiver,
    started: dict[str, int],
) -> None:
    setup = Client(load, "setup")
    for tenant in tenants[:THREADS]:
        setup.headers = {}
        endpoint = setup.api(
            tenant,
            "setup",
            "POST",
            "/webhook_endpoints",
            json={"url": receiver.url, "enabled_events": ["*"]},
        )
        assert endpoint.status_code == 201, endpoint.text
        location = setup.api(
            tenant, "setup", "POST", "/locations", json={"postal_address": ADDRESS}
        )
        assert location.status_code == 201, location.text
        tenant.priced_location = location.json()["id"]
        complete_flow(setup, tenant, tenant.priced_location)
    setup_ids = {r.id for r in load.results}

    threads = [
        run_thread(load, lambda n=n: load_loop(Client(load, f"t{n}"), tenants[n]))
        for n in range(THREADS)
    ]
    due_mover = run_thread(load, lambda: _move_due_times(load, db))
    load.wait_for(STEP)

    killed_api = cluster.pid("api-1")
    before_kill = time.monotonic()
    cluster.kill("api-1")
    after_kill = time.monotonic()
    load.wait_for(STEP)
    cluster.run("start")  # starts what is missing: api-1
    restarted = time.monotonic()
    started["api-1 again"] = cluster.pid("api-1")
    # Until HAProxy sends load to it again (after two good health checks).
    wait_until(
        lambda: _served_by(load, cluster, "api-1", since=restarted),
        "HAProxy to send to the restarted api-1",
    )
    # The receiver holds each webhook for a second while the worker is killed, so that both
    # workers are in the middle of sending some when one dies.
    receiver.delay = 1.0
    load.wait_for(STEP // 2)
    killed_worker = cluster.kill("worker-1")
    receiver.delay = 0.05
    load.wait_for(STEP)
    cluster.run("start")  # worker-1
    started["worker-1 again"] = cluster.pid("worker-1")
    load.wait_for(STEP)
    load.stop.set()
    for thread in [*threads, due_mover]:
        thread.join(timeout=60)
    assert not load.errors, load.errors

    # Every event of the load's accounts reached the receiver (the killed worker's
    # deliveries once their lease ran out).
    with db.transaction(write=False) as session:
        created = set(
            session.scalars(
                select(Event.id).where(Event.account_id.in_([t.account_id for t in tenants]))
            )
        )
    wait_until(lambda: created <= received_event_ids(receiver), "every event to be delivered")
    assert received_event_ids(receiver) == created

    # What happened, in the run directory: for whoever reads a failure (or wonders what a
    # pass covered).
    with receiver.lock:
        deliveries = len(receiver.received)
    summary = {
        "requests": Counter(r.kind for r in load.results),
        "answers": Counter(f"{r.kind} {r.status}" for r in load.results),
        "retried": sum(
            1 for line in proxy_lines(cluster.log("haproxy")).values() if line.retries != "0"
        ),
        "events": len(created),
        "webhook_requests": deliveries,
        "webhooks_received_twice": deliveries - len(received_event_ids(receiver)),
        "periodic": Counter(f"{e.kind} {e.name}" for e in task_audit(db.engine)),
    }
    (cluster.run_dir / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2)
    )
    _check_rate_limit(cluster, tenants[THREADS])
    assert killed_api != cluster.pid("api-1")
    _check_answers(load, cluster, setup_ids, (before_kill, after_kill, restarted))
    _check_periodic_tasks(db, killed_worker)


def _served_by(load: Load, cluster: Cluster, server: str, *, since: float) -> bool:
    lines = proxy_lines(cluster.log("haproxy"))
    with load.lock:
        later = [r.id for r in load.results if r.sent > since]
    return any(lines[i].server == server for i in later if i in lines)


def _move_due_times(load: Load, db: Database) -> None:
    while not load.stop.is_set():
        make_due_now(db.engine, "tariffs.expiry_scan")
        time.sleep(0.3)


def _check_answers(
    load: Load, cluster: Cluster, setup_ids: set[str], moments: tuple[float, float, float]
) -> None:
    before_kill, after_kill, restarted = moments
    results = [r for r in load.results if r.id not in setup_ids]
    # HAProxy logged every request the load sent but those it closed without an answer (it
    # writes a line once the answer is sent: the last ones may come a moment after).
    answered = {r.id for r in load.results if r.status != NO_ANSWER}
    deadline = time.monotonic() + 30
    while not answered <= set(lines := proxy_lines(cluster.log("haproxy"))):
        if time.monotonic() > deadline:
            # What a failure needs to be understood (CI keeps no run directory).
            unlogged = [r for r in load.results if r.id in answered - set(lines)]
            moments = {"before_kill": before_kill, "after_kill": after_kill}
            tail = cluster.log("haproxy")[-2000:]
            raise AssertionError(f"not in HAProxy's log: {unlogged}, {moments}, log:\n{tail}")
        time.sleep(0.1)
    assert set(lines) == answered
    assert all(NO_ANSWER < r.status < 500 for r in load.results if r.id in setup_ids)
    failed = [r for r in results if r.status >= 500 or r.status == NO_ANSWER]
    retried = [r for r in results if r.id in lines and lines[r.id].retries != "0"]
    for result in failed:
        # In flight on the killed process when it died, and not safe to send again.
        assert result.kind in UNSAFE, result
        assert result.sent < after_kill and result.done > before_kill, result
        if result.status != NO_ANSWER:
            line = lines[result.id]
            assert (result.status, line.server, line.term[0]) == (502, "api-1", "S"), line
    # At most one per load thread: each has one request in flight at a time.
    assert len(failed) <= THREADS, failed
    # No surviving process answered a 5xx: every 5xx HAProxy logged is one of those above.
    assert {i for i, line in lines.items() if line.status >= 500} == {
        r.id for r in failed if r.status != NO_ANSWER
    }
    for result in results:
        if result in failed:
            continue
        expected = EXPECTED[result.kind]
        if result in retried and result.kind == "connect" and result.status == 409:
            # Its first attempt's claim, on the killed process, holds for a minute.
            assert result.code == "idempotency_key_in_use", result
            continue
        assert result.status == expected, (result, lines[result.id])
    # Retries happened only while api-1 was dead (leaving it for api-2).
    assert all(before_kill < r.done and r.sent < restarted for r in retried), retried
    kinds = Counter(r.kind for r in results)
    assert set(kinds) == set(EXPECTED), kinds
    assert {line.server for line in lines.values()} >= {"api-1", "api-2"}


def _check_periodic_tasks(db: Database, killed_pid: int) -> None:
    with db.transaction(write=False) as session:
        killed = set(session.scalars(select(WorkerBeat.id).where(WorkerBeat.pid == killed_pid)))
    assert len(killed) == 1
    audit = task_audit(db.engine)
    claims: dict[tuple[str, datetime], list[Any]] = {}
    finishes: dict[tuple[str, datetime], list[Any]] = {}
    for event in audit:
        target = claims if event.kind == "claim" else finishes
        target.setdefault((event.name, event.due_at), []).append(event)
    for due, claimed in claims.items():
        if len(claimed) > 1:
            # Only a due time the killed worker held is run again, and only once, elsewhere.
            first, *others = claimed
            assert first.leased_by in killed and len(others) == 1, claimed
            assert others[0].leased_by not in killed, claimed
    finished_tokens = Counter(e.lease_token for e in audit if e.kind == "finish")
    assert all(count == 1 for count in finished_tokens.values()), finished_tokens
    assert all(len(done) == 1 for done in finishes.values()), finishes
    claimed_tokens = {e.lease_token for e in audit if e.kind == "claim"}
    assert set(finished_tokens) <= claimed_tokens
    scans = [e for e in audit if e.kind == "finish" and e.name == "tariffs.expiry_scan"]
    # The two workers (three, with the restarted one) raced for many due times.
    assert len(scans) >= 10, scans
    assert len({e.leased_by for e in scans}) >= 2, scans


def _check_rate_limit(cluster: Cluster, tenant: Tenant) -> None:
    login = httpx.get(f"{cluster.base}/login", auth=(tenant.account_id, tenant.key), timeout=10)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
    # Straight to each API process in turn, bypassing HAProxy: one shared count.
    answers = []
    for n in range(API_LIMIT + 10):
        port = cluster.api_ports[n % 2]
        response = httpx.get(f"http://127.0.0.1:{port}/account", headers=headers, timeout=10)
        answers.append((port, response.status_code))
    assert [status for _, status in answers] == [200] * API_LIMIT + [429] * 10
    for port in cluster.api_ports:
        assert {status for p, status in answers if p == port} == {200, 429}
