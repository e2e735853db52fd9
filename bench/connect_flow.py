"""Connect flow benchmark: the server time of a whole manual time-of-day flow, and what HTTP adds.

A whole flow is the 7 requests a customer's browser sends to `POST /connect/flow` on a fresh
session whose location has a full address (10 Downing Street, London SW1A 2AA): session_start,
provider_select (a GB provider without library tariffs), tariff_structure_select TIME_OF_DAY,
rate_tod_capture (07:00-23:00 at 0.30, 23:00-07:00 at 0.10), tariff_name_capture,
contract_term_capture with no data (until terminated: this connects the tariff and renders the
summary with yesterday's, today's and tomorrow's prices) and tariff_summary CLOSE, which
answers session_redirect. Locations and sessions are made beforehand through the REST API
(POST /locations, POST /connect) and are not part of the measured flows.

`tariffconnect serve` runs on a fresh data folder, on SQLite and/or on a freshly created
PostgreSQL database (common.py's helpers), with an account made by the CLI. Measured
on each database, --warmup flows first, then --flows timed ones:

1. Server time, in this process: each request's body goes through the route's own
   `connect.flow.router._answer` (parse, one write transaction, `machine.advance`) and
   `orjson.dumps` of the answer, against the server's database. The server's own time without
   HTTP.
2. HTTP time: the same 7 POSTs (no Content-Type, as the reference front end sends them) in
   sequence from one httpx client on a kept-alive loopback connection to the server.
3. Baseline for scale: as many `GET /health` (7 per "flow") from the same client to the same
   server: HTTP, middleware, FastAPI, the worker-thread hop and a database ping.
4. --concurrency threads, each with its own client, run --concurrent-flows flows at once over
   HTTP: flows/s, where SQLite's single writer (every flow request is a write transaction)
   meets PostgreSQL's row locks.

5. Each tariff element (issue 14): the same whole flow on sessions made with POST /connect's
   element options, import (the default), export (`tariff_direction: EXPORT`) and grid fees
   (`tariff_type: NON_COMMODITY`), in process, one flow of each in turn so the three share the
   machine's conditions: server time per element.

Every answer must be 200 with the expected next page, and the summary must show the captured
rates; anything else stops the run. Afterwards the SQL statements of one flow are counted per
step, and --profile-flows flows run in process under cProfile (raw stats in bench/out/), whose
top costs are printed. Target (from the issue): a whole flow in <= 100 ms of server time.

    .venv/bin/python bench/connect_flow.py [--flows 200] [--warmup 20] [--concurrency 4]
                                           [--concurrent-flows 200] [--profile-flows 30]
                                           [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import event
from sqlalchemy.orm import Session

from common import (
    OUT_DIR,
    REPO,
    TOP,
    BenchError,
    Server,
    add_database_arguments,
    auth_headers,
    cpu_seconds,
    create_account,
    databases,
    in_work_folder,
    machine_facts,
    new_parser,
    percentile,
    post_json,
    postgres_backends,
    serve_tariffconnect,
    start_run,
    write_markdown,
)
from tariffconnect.config import Settings
from tariffconnect.connect.flow import connecting, machine, router, summary
from tariffconnect.connect.flow import steps as steps_module
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.protocol import parse
from tariffconnect.connect.flow.router import _answer, _error
from tariffconnect.core.errors import ApiError
from tariffconnect.db import Database
from tariffconnect.events import service as events_service
from tariffconnect.prices import service as prices_service
from tariffconnect.providers import catalogue
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import library
from tariffconnect.tariffs import service as tariffs_service

FLOW_PATH = "/connect/flow"  # TARIFFCONNECT_CONNECT_FLOW_PATH's default
ADDRESS = {
    "address_line1": "10 Downing Street",
    "city": "London",
    "post_code": "SW1A 2AA",
    "country_code": "GB",
}
CALLBACK = "https://app.example.com/connect/done?user=42"
HOURS = [
    {"valid_from": "07:00", "valid_to": "23:00", "cost": 0.30},
    {"valid_from": "23:00", "valid_to": "07:00", "cost": 0.10},
]
TARIFF_NAME = "Day and night"
TARGET_MS = 100.0
# Issue 14's tariff elements: the POST /connect options of each one's sessions.
ELEMENTS: dict[str, dict[str, str]] = {
    "import": {},
    "export": {"tariff_direction": "EXPORT"},
    "grid fees": {"tariff_type": "NON_COMMODITY"},
}


@dataclass(frozen=True, slots=True)
class Step:
    label: str  # how the tables name it
    route: str  # the page answered
    answer: str  # the page the server must answer next
    data: dict[str, Any] | None = None
    action: str | None = None

    def body(self, token: str) -> bytes:
        body: dict[str, Any] = {"route": self.route, "connect_token": token, "type": "submit"}
        if self.data is not None:
            body["data"] = self.data
        if self.action is not None:
            body["action"] = self.action
        return orjson.dumps(body)


def plain_provider(country_code: str = "GB") -> str:
    """A provider of the country with no library tariff, so the manual path follows (as
    tests/connect_flow/flow.py picks it)."""
    with_library = {t.provider_id for t in library.load()}
    return next(
        p.id for p in catalogue.search(country_code=country_code) if p.id not in with_library
    )


def flow_steps(provider_id: str) -> list[Step]:
    return [
        Step("session_start", "session_start", "provider_select"),
        Step(
            "provider_select {provider}",
            "provider_select",
            "tariff_structure_select",
            {"provider": {"id": provider_id}},
        ),
        Step(
            "tariff_structure_select TIME_OF_DAY",
            "tariff_structure_select",
            "rate_tod_capture",
            {"options": ["TIME_OF_DAY"]},
        ),
        Step(
            "rate_tod_capture {hours}", "rate_tod_capture", "tariff_name_capture", {"hours": HOURS}
        ),
        Step(
            "tariff_name_capture {name}",
            "tariff_name_capture",
            "contract_term_capture",
            {"tariff": {"name": TARIFF_NAME}},
        ),
        Step("contract_term_capture (connects)", "contract_term_capture", "tariff_summary"),
        Step("tariff_summary CLOSE", "tariff_summary", "session_redirect", action="CLOSE"),
    ]


# --- sessions, made through the REST API before any flow -----------------------------------------


def make_sessions(
    client: httpx.Client, count: int, options: dict[str, str] | None = None
) -> list[str]:
    """`count` fresh Connect sessions, each on its own new location (with no tariff, so
    session_start opens the provider page); `options`: the element's POST /connect fields."""
    tokens = []
    for _ in range(count):
        location = post_json(client, "/locations", {"postal_address": ADDRESS}, expect=201)
        body = {
            "location_id": location["id"],
            "connect_url": "https://app.example.com/connect",
            "callback_url": CALLBACK,
            **(options or {}),
        }
        tokens.append(post_json(client, "/connect", body, expect=200)["id"])
    return tokens


# --- checking answers ----------------------------------------------------------------------------


def check(step: Step, status: int, answer: dict[str, Any]) -> None:
    if status != 200 or answer.get("route") != step.answer:
        raise BenchError(f"{step.label} answered {status}, not {step.answer}: {answer}")
    if step.answer == "tariff_summary":
        data = answer["data"]
        costs = {entry["tariff"]["cost"] for entry in data["rates"]["today"]}
        if data["tariff"]["structure_type"] != "TIME_OF_DAY" or costs != {0.1, 0.3}:
            raise BenchError(f"the summary does not show the rates captured: {data}")


# --- timing --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Timings:
    """Per-step times (ms) of each flow; a flow's time is the sum of its steps'."""

    steps: int
    flows: list[list[float]] = field(default_factory=list)

    @property
    def totals(self) -> list[float]:
        return [sum(flow) for flow in self.flows]

    def step(self, index: int) -> list[float]:
        return [flow[index] for flow in self.flows]


def serve(runtime: Runtime, body: bytes) -> tuple[int, dict[str, Any]]:
    """One request body through the route's own code, as `POST /connect/flow` hands it to its
    worker thread (`base_url` as the route derives it: the public base URL, which `bench` sets
    to the server's address)."""
    # As the route does since it parses on the event loop: parse, then `_answer` in the
    # thread; a refusal is answered as its error object.
    parsed = None
    try:
        parsed = parse(body)
        return 200, _answer(runtime, parsed, runtime.settings.base_url)
    except ApiError as refused:
        return _error(refused, parsed, "")


def in_process_flow(runtime: Runtime, steps: Sequence[Step], token: str) -> list[float]:
    """One flow through the route's own code, as the server runs it in its worker thread:
    `_answer` (parse, write transaction, advance) and `orjson.dumps` of the answer."""
    took = []
    for step in steps:
        body = step.body(token)
        began = time.perf_counter()
        status, answer = serve(runtime, body)
        orjson.dumps(answer)
        took.append((time.perf_counter() - began) * 1e3)
        check(step, status, answer)
    return took


def http_flow(client: httpx.Client, steps: Sequence[Step], token: str) -> list[float]:
    """One flow over HTTP, one POST after the other, as the reference front end sends them
    (JSON text, no Content-Type)."""
    took = []
    for step in steps:
        body = step.body(token)
        began = time.perf_counter()
        response = client.post(FLOW_PATH, content=body)
        took.append((time.perf_counter() - began) * 1e3)
        check(step, response.status_code, orjson.loads(response.content))
    return took


def health_flow(client: httpx.Client, steps: Sequence[Step], _token: str) -> list[float]:
    """As many GET /health as a flow has requests: the floor of a request on this server."""
    took = []
    for _ in steps:
        began = time.perf_counter()
        response = client.get("/health")
        took.append((time.perf_counter() - began) * 1e3)
        if response.status_code != 200:
            raise BenchError(f"GET /health answered {response.status_code}: {response.text}")
    return took


FlowRunner = Callable[[Sequence[Step], str], list[float]]


def run_flows(run: FlowRunner, steps: Sequence[Step], tokens: Sequence[str]) -> Timings:
    timings = Timings(len(steps))
    for token in tokens:
        timings.flows.append(run(steps, token))
    return timings


def side_by_side(
    run: FlowRunner, steps: Sequence[Step], tokens: dict[str, list[str]]
) -> dict[str, Timings]:
    """Each element's flows, one of each element in turn (so a noisy moment on the shared
    machine falls on all of them alike)."""
    timings = {element: Timings(len(steps)) for element in tokens}
    for turn in zip(*tokens.values(), strict=True):
        for element, token in zip(tokens, turn, strict=True):
            timings[element].flows.append(run(steps, token))
    return timings


@dataclass(frozen=True, slots=True)
class Cpu:
    """CPU time per flow of the process serving the flows and of its PostgreSQL backends, read
    from /proc around a run. For `tariffconnect serve` it includes the in-process webhook
    worker's idle polls; for this process, the load generating threads."""

    server_ms: float
    postgres_ms: float | None


@contextmanager
def cpu_per_flow(pid: int, server: Server, flows: int, out: list[Cpu]) -> Iterator[None]:
    """CPU of `pid` and of the PostgreSQL backends of `server`'s database (all connections to
    it, so this process's too)."""
    backends = postgres_backends(server)
    server_before, postgres_before = cpu_seconds([pid]), cpu_seconds(backends)
    yield
    server_after, postgres_after = cpu_seconds([pid]), cpu_seconds(backends)
    out.append(
        Cpu(
            (server_after - server_before) * 1e3 / flows,
            (postgres_after - postgres_before) * 1e3 / flows if backends else None,
        )
    )


class TimedLock:
    """A stand-in for the SQLite writer lock of this process's `Database`, adding up how long
    writers waited for it."""

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self.waited = 0.0  # seconds, all threads

    def __enter__(self) -> bool:
        began = time.perf_counter()
        self.lock.acquire()
        self.waited += time.perf_counter() - began  # under the lock: no race
        return True

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


@dataclass(frozen=True, slots=True)
class Concurrent:
    mode: str  # HTTP or in process
    threads: int
    flows: int
    seconds: float
    latencies: list[float]  # each flow's time, ms
    cpu: Cpu
    lock_wait_ms: float | None = None  # per flow, waiting for the SQLite writer lock

    @property
    def flows_per_second(self) -> float:
        return self.flows / self.seconds


# A thread's flow runner (steps, token) -> per-step ms, made inside the thread that uses it.
RunnerFactory = Callable[[], AbstractContextManager[FlowRunner]]


def at_once(
    make_runner: RunnerFactory,
    steps: Sequence[Step],
    tokens: Sequence[str],
    *,
    threads: int,
    warmup: int,
    cpu_of: Callable[[int, list[Cpu]], AbstractContextManager[None]],
) -> tuple[float, list[float], Cpu]:
    """`threads` threads, each running its share of the flows back to back, all at once, after
    `warmup` flows each; (seconds, each flow's ms, CPU per flow)."""
    shares = [list(tokens[index::threads]) for index in range(threads)]
    barrier = threading.Barrier(threads + 1)
    results: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def thread(index: int) -> None:
        try:
            with make_runner() as run:
                mine = shares[index]
                for token in mine[:warmup]:  # opens connections, fills the pool
                    run(steps, token)
                barrier.wait()
                for token in mine[warmup:]:
                    results[index].append(sum(run(steps, token)))
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    workers = [threading.Thread(target=thread, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    cpu: list[Cpu] = []
    with suppress(threading.BrokenBarrierError):  # a thread failed: reported below
        barrier.wait()
    measured = sum(len(share) - warmup for share in shares)
    with cpu_of(max(measured, 1), cpu):
        began = time.perf_counter()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - began
    if errors:
        raise BenchError(f"a concurrent flow failed: {errors[0]!r}") from errors[0]
    return seconds, [took for share in results for took in share], cpu[0]


def concurrent_http(
    server: Server, steps: Sequence[Step], tokens: Sequence[str], threads: int, warmup: int
) -> Concurrent:
    """Clients at once against the server, each on its own kept-alive connection."""

    @contextmanager
    def runner() -> Iterator[FlowRunner]:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            yield lambda s, t: http_flow(client, s, t)

    seconds, latencies, cpu = at_once(
        runner,
        steps,
        tokens,
        threads=threads,
        warmup=warmup,
        cpu_of=lambda flows, out: cpu_per_flow(server.pid, server, flows, out),
    )
    return Concurrent("HTTP", threads, len(latencies), seconds, latencies, cpu)


def concurrent_in_process(
    runtime: Runtime,
    server: Server,
    steps: Sequence[Step],
    tokens: Sequence[str],
    threads: int,
    warmup: int,
) -> Concurrent:
    """Threads at once through the route's code in this process (one pooled connection each),
    the way the server's worker threads run them but without HTTP or the event loop."""
    lock = None
    if runtime.db.is_sqlite:
        lock = TimedLock(runtime.db._sqlite_writer)
        runtime.db._sqlite_writer = lock  # type: ignore[assignment]

    @contextmanager
    def runner() -> Iterator[FlowRunner]:
        yield lambda s, t: in_process_flow(runtime, s, t)

    try:
        seconds, latencies, cpu = at_once(
            runner,
            steps,
            tokens,
            threads=threads,
            warmup=warmup,
            cpu_of=lambda flows, out: _cpu_and_lock(server, flows, out, lock),
        )
    finally:
        if lock is not None:
            runtime.db._sqlite_writer = lock.lock
    waited = None if lock is None else lock.waited * 1e3 / max(len(latencies), 1)
    return Concurrent("in process", threads, len(latencies), seconds, latencies, cpu, waited)


@contextmanager
def _cpu_and_lock(
    server: Server, flows: int, out: list[Cpu], lock: TimedLock | None
) -> Iterator[None]:
    if lock is not None:  # only the measured flows' waits count
        lock.waited = 0.0
    with cpu_per_flow(os.getpid(), server, flows, out):
        yield


# --- where the time goes -------------------------------------------------------------------------


def statements_per_step(runtime: Runtime, steps: Sequence[Step], token: str) -> list[Counter[str]]:
    """The SQL statements each step of one flow executes, by their first word."""
    counts: list[Counter[str]] = []
    current: Counter[str] = Counter()

    def on_execute(*args: Any) -> None:
        statement = str(args[2]).lstrip()
        current[statement.split(None, 1)[0].upper() if statement else "?"] += 1

    engine = runtime.db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        for step in steps:
            current = Counter()
            status, answer = serve(runtime, step.body(token))
            check(step, status, answer)
            counts.append(current)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return counts


# Inclusive time of these functions, timed with perf_counter wrappers (no profiler). Each is
# patched where its callers look it up (a module attribute or a class attribute).
PIECES: tuple[tuple[object, str, str], ...] = (
    (router, "parse", "parse the body (orjson, pydantic)"),
    (machine, "advance", "`machine.advance` (all the flow's own work)"),
    (machine, "_load", "load and lock the session (`SELECT ... FOR UPDATE`)"),
    (Flow, "connected_tariff", "look up the connected tariff (`tariffs.connected`)"),
    (steps_module, "_providers", "the provider list (`catalogue.search`)"),
    (connecting, "connect", "connect the tariff (contract step)"),
    (tariffs_service, "create", "of which `tariffs.create` (checks, INSERT, 2 events)"),
    (events_service, "record", "`events.record` (3 events, each with a webhook fan-out query)"),
    (summary, "rates", "the summary's prices for yesterday, today, tomorrow"),
    (prices_service, "intervals", "of which `prices.intervals`, 3 calls"),
    (Session, "flush", "ORM flushes (autoflush before queries, and at commit)"),
)
TRANSACTION = "the transaction: pool checkout, BEGIN, final flush, COMMIT"
DUMPS = "`orjson.dumps` of the answer"


@contextmanager
def timed_pieces() -> Iterator[dict[str, list[float]]]:
    """Wrap each piece so that its calls add to `found[description]`: [seconds, calls]."""
    found: dict[str, list[float]] = {description: [0.0, 0] for *_, description in PIECES}
    saved = []
    for owner, name, description in PIECES:
        original = getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, _timed(original, found[description]))
    try:
        yield found
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _timed(original: Callable[..., Any], total: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - began
            total[1] += 1

    return wrapper


@dataclass(frozen=True, slots=True)
class Pieces:
    flows: int
    total_ms: float  # per flow
    rows: list[tuple[str, float, float]]  # (description, ms per flow, calls per flow)


def time_pieces(runtime: Runtime, steps: Sequence[Step], tokens: Sequence[str]) -> Pieces:
    """Where a flow's server time goes, piece by piece, on `tokens`' flows."""
    total = dumps = transaction = 0.0
    with timed_pieces() as found:
        for token in tokens:
            for step in steps:
                body = step.body(token)
                inside = found[PIECES[0][2]][0] + found[PIECES[1][2]][0]  # parse + advance
                began = time.perf_counter()
                status, answer = serve(runtime, body)
                answered = time.perf_counter()
                orjson.dumps(answer)
                ended = time.perf_counter()
                check(step, status, answer)
                total += ended - began
                dumps += ended - answered
                inside = found[PIECES[0][2]][0] + found[PIECES[1][2]][0] - inside
                transaction += answered - began - inside
    flows = len(tokens)
    rows = [(TRANSACTION, transaction * 1e3 / flows, float(len(steps)))]
    rows += [(d, seconds * 1e3 / flows, calls / flows) for d, (seconds, calls) in found.items()]
    rows.append((DUMPS, dumps * 1e3 / flows, float(len(steps))))
    return Pieces(flows, total * 1e3 / flows, rows)


def _file_of(path: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            rest = path.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker == "/lib/python3" else rest
    return path


def _package_of(key: tuple[str, int, str]) -> str:
    path, _line, function = key
    if path == "~":  # a built-in: name it by its type's module where it says
        for name in ("sqlite3", "psycopg", "orjson", "pydantic"):
            if name in function:
                return f"{name} (C)"
        return "built-ins (C)"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/tariffconnect/" in path:
        return "tariffconnect"
    return "stdlib" if "/lib/python3" in path else "other"


@dataclass(frozen=True, slots=True)
class Profile:
    path: Path
    flows: int
    total_ms: float  # per flow, under the profiler
    packages: list[tuple[str, float]]  # (package, own ms per flow)
    own: list[tuple[str, float]]  # (function, own ms per flow)


def profile_flows(
    runtime: Runtime, steps: Sequence[Step], tokens: Sequence[str], path: Path
) -> Profile:
    profiler = cProfile.Profile()
    profiler.enable()
    for token in tokens:
        for step in steps:
            status, answer = serve(runtime, step.body(token))
            orjson.dumps(answer)
            check(step, status, answer)
    profiler.disable()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    flows = len(tokens)
    packages: dict[str, float] = {}
    for key, (_cc, _nc, own_seconds, _cum, _callers) in raw.items():
        package = _package_of(key)
        packages[package] = packages.get(package, 0.0) + own_seconds * 1e3 / flows
    functions = [
        (f"{name} ({_file_of(file)}:{line})" if line else name, value[2] * 1e3 / flows)
        for (file, line, name), value in raw.items()
    ]
    by_package = sorted(packages.items(), key=lambda item: -item[1])
    top = sorted(functions, key=lambda item: -item[1])[:TOP]
    return Profile(path, flows, sum(packages.values()), by_package, top)


# --- one database --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    database: str
    steps: list[Step]
    server: Timings  # in process
    http: Timings
    health: Timings
    server_cpu: Cpu
    http_cpu: Cpu
    health_cpu: Cpu
    concurrent: list[Concurrent]
    statements: list[Counter[str]]
    pieces: Pieces | None
    profile: Profile | None
    elements: dict[str, Timings]  # server time of each tariff element's flow


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary_line(name: str, timings: Timings) -> str:
    totals = timings.totals
    p50, p99 = statistics.median(totals), percentile(totals, 99)
    return f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms per flow"


def bench(work: Path, database: str, args: argparse.Namespace) -> Measured:
    say(f"TariffConnect on {database}")
    steps = flow_steps(plain_provider())
    per_run = args.warmup + args.flows
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
            needed = 2 * per_run + args.concurrent_flows + 2 * args.profile_flows + 1
            needed += args.concurrent_flows + 2 * args.concurrency * args.concurrent_warmup
            began = time.perf_counter()
            tokens = iter(make_sessions(client, needed))
            by_element = {
                element: make_sessions(client, per_run, options)
                for element, options in ELEMENTS.items()
            }
            made = needed + per_run * len(ELEMENTS)
            say(f"  {made} sessions made in {time.perf_counter() - began:.1f} s")

        def take(count: int) -> list[str]:
            return [next(tokens) for _ in range(count)]

        settings = Settings(
            data_dir=Path(server.env["TARIFFCONNECT_DATA_DIR"]),
            database_url=server.database_url,
            public_base_url=server.base_url,  # what the route passes `_answer` as base_url
        )
        db = Database(server.sqlalchemy_url, pool_size=1)
        runtime = Runtime(settings=settings, db=db)
        try:
            # 1. server time, in this process (the server process idles meanwhile)
            cpu: list[Cpu] = []
            run_flows(lambda s, t: in_process_flow(runtime, s, t), steps, take(args.warmup))
            flows = take(args.flows)
            with cpu_per_flow(os.getpid(), server, args.flows, cpu):
                in_process = run_flows(lambda s, t: in_process_flow(runtime, s, t), steps, flows)
            say(summary_line("server time (in process)", in_process))

            # 5. each tariff element's flow, side by side, in process
            def in_process_run(s: Sequence[Step], t: str) -> list[float]:
                return in_process_flow(runtime, s, t)

            warm = {element: found[: args.warmup] for element, found in by_element.items()}
            side_by_side(in_process_run, steps, warm)
            timed = {element: found[args.warmup :] for element, found in by_element.items()}
            elements = side_by_side(in_process_run, steps, timed)
            for element, timings in elements.items():
                say(summary_line(f"server time, {element}", timings))

            # 2. and 3. HTTP, then the GET /health baseline, from one kept-alive client
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                run_flows(lambda s, t: http_flow(client, s, t), steps, take(args.warmup))
                flows = take(args.flows)
                with cpu_per_flow(server.pid, server, args.flows, cpu):
                    http = run_flows(lambda s, t: http_flow(client, s, t), steps, flows)
                say(summary_line("HTTP", http))
                dummies = [""] * args.flows
                run_flows(lambda s, t: health_flow(client, s, t), steps, [""] * args.warmup)
                with cpu_per_flow(server.pid, server, args.flows, cpu):
                    health = run_flows(lambda s, t: health_flow(client, s, t), steps, dummies)
                say(summary_line("7 x GET /health", health))

            # 4. flows at once, over HTTP and in process
            per_concurrent = args.concurrent_flows + args.concurrency * args.concurrent_warmup
            concurrent = [
                concurrent_http(
                    server,
                    steps,
                    take(per_concurrent),
                    args.concurrency,
                    args.concurrent_warmup,
                )
            ]
            shared = Database(server.sqlalchemy_url, pool_size=args.concurrency)
            try:
                concurrent.append(
                    concurrent_in_process(
                        Runtime(settings=settings, db=shared),
                        server,
                        steps,
                        take(per_concurrent),
                        args.concurrency,
                        args.concurrent_warmup,
                    )
                )
            finally:
                shared.dispose()
            for c in concurrent:
                say(
                    f"  {c.threads} at once, {c.mode}: {c.flows_per_second:.1f} flows/s, "
                    f"p50 {statistics.median(c.latencies):.1f} ms per flow"
                )

            # where the time goes
            statements = statements_per_step(runtime, steps, take(1)[0])
            pieces = profiled = None
            if args.profile_flows > 0:
                pieces = time_pieces(runtime, steps, take(args.profile_flows))
                path = OUT_DIR / f"connect_flow-{database}-{os.getpid()}.prof"
                profiled = profile_flows(runtime, steps, take(args.profile_flows), path)
                say(f"  profiled {args.profile_flows} flows into {path.relative_to(REPO)}")
        finally:
            db.dispose()
    return Measured(
        database,
        steps,
        in_process,
        http,
        health,
        cpu[0],
        cpu[1],
        cpu[2],
        concurrent,
        statements,
        pieces,
        profiled,
        elements,
    )


# --- report --------------------------------------------------------------------------------------


def render_flows(results: Sequence[Measured]) -> str:
    lines = [
        "| database | measure | flows | p50 ms | p99 ms | mean ms "
        "| CPU ms/flow (serving process) | PostgreSQL CPU ms/flow |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(database: str, name: str, timings: Timings, cpu: Cpu) -> str:
        totals = timings.totals
        server_cpu = f"{cpu.server_ms:.1f}"
        pg_cpu = "-" if cpu.postgres_ms is None else f"{cpu.postgres_ms:.1f}"
        return (
            f"| {database} | {name} | {len(totals)} | {statistics.median(totals):.1f} "
            f"| {percentile(totals, 99):.1f} | {statistics.fmean(totals):.1f} "
            f"| {server_cpu} | {pg_cpu} |"
        )

    for r in results:
        lines.append(row(r.database, "**server time** (in process)", r.server, r.server_cpu))
        lines.append(row(r.database, "HTTP, 7 POSTs (client)", r.http, r.http_cpu))
        lines.append(row(r.database, "baseline: 7 x GET /health", r.health, r.health_cpu))
    return "\n".join(lines)


def render_steps(results: Sequence[Measured]) -> str:
    header, rule = "| step |", "|---|"
    for r in results:
        header += f" {r.database} server | {r.database} HTTP |"
        rule += "---:|---:|"
    for r in results:
        header += f" SQL statements ({r.database}) |"
        rule += "---|"
    lines = [header, rule]
    for index, step in enumerate(results[0].steps):
        line = f"| {step.label} |"
        for r in results:
            server, http = r.server.step(index), r.http.step(index)
            line += f" {statistics.median(server):.2f} / {percentile(server, 99):.1f} "
            line += f"| {statistics.median(http):.2f} / {percentile(http, 99):.1f} |"
        for r in results:
            counts = r.statements[index]
            described = ", ".join(f"{n} {word}" for word, n in counts.most_common())
            line += f" {sum(counts.values())}: {described} |"
        lines.append(line)
    line = "| baseline: one GET /health |"
    for r in results:
        health = [took for flow in r.health.flows for took in flow]
        line += f" - | {statistics.median(health):.2f} / {percentile(health, 99):.1f} |"
    lines.append(line + " 1: SELECT 1 |" * len(results))
    return "\n".join(lines)


def render_concurrent(results: Sequence[Measured]) -> str:
    lines = [
        "| database | flows run by | at once | flows | flows/s | flows/s one at a time "
        "| flow p50 ms | flow p99 ms | CPU ms/flow (serving process) | PostgreSQL CPU ms/flow "
        "| SQLite writer-lock wait ms/flow |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for c in r.concurrent:
            one = r.http if c.mode == "HTTP" else r.server
            sequential = len(one.flows) / (sum(one.totals) / 1e3)
            pg = "-" if c.cpu.postgres_ms is None else f"{c.cpu.postgres_ms:.1f}"
            wait = "-" if c.lock_wait_ms is None else f"{c.lock_wait_ms:.1f}"
            lines.append(
                f"| {r.database} | {c.mode} | {c.threads} | {c.flows} "
                f"| {c.flows_per_second:.1f} | {sequential:.1f} "
                f"| {statistics.median(c.latencies):.1f} | {percentile(c.latencies, 99):.1f} "
                f"| {c.cpu.server_ms:.1f} | {pg} | {wait} |"
            )
    return "\n".join(lines)


def render_verdict(results: Sequence[Measured]) -> str:
    lines = []
    for r in results:
        totals = r.server.totals
        p50, p99_ = statistics.median(totals), percentile(totals, 99)
        verdict = (
            "met" if p99_ <= TARGET_MS else "met at p50 only" if p50 <= TARGET_MS else "NOT met"
        )
        lines.append(
            f"- {r.database}: server time of a whole flow p50 {p50:.1f} ms, p99 {p99_:.1f} ms; "
            f"target <= {TARGET_MS:g} ms: {verdict}"
        )
    return "\n".join(lines)


def render_elements(results: Sequence[Measured]) -> str:
    """Issue 14: the whole manual flow's server time per tariff element."""
    lines = [
        "| database | tariff element | flows | p50 ms | p99 ms | mean ms | target p50 <= 100 ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for element, timings in r.elements.items():
            totals = timings.totals
            p50 = statistics.median(totals)
            lines.append(
                f"| {r.database} | {element} | {len(totals)} | {p50:.1f} "
                f"| {percentile(totals, 99):.1f} | {statistics.fmean(totals):.1f} "
                f"| {'met' if p50 <= TARGET_MS else 'NOT met'} |"
            )
    return "\n".join(lines)


def render_pieces(r: Measured) -> str:
    p = r.pieces
    if p is None:
        return ""
    lines = [
        f"### {r.database}: a flow's server time by piece ({p.flows} flows, "
        f"{p.total_ms:.1f} ms per flow)",
        "",
        'Inclusive times from perf_counter wrappers (no profiler); "of which" rows are part '
        "of the row above, and events and flushes happen inside the other pieces.",
        "",
        "| piece | ms per flow | calls per flow | share of the flow |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {ms:.2f} | {calls:g} | {ms / p.total_ms:.0%} |" for name, ms, calls in p.rows
    ]
    return "\n".join(lines)


def render_profile(r: Measured) -> str:
    p = r.profile
    if p is None:
        return ""
    lines = [
        f"### {r.database}: {p.flows} flows under cProfile ({p.path.name})",
        "",
        f"{p.total_ms:.1f} ms per flow under the profiler (it inflates Python-heavy code; "
        "read the shares, not the absolute figures).",
        "",
        "| own time by package | ms per flow | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {ms:.2f} | {ms / p.total_ms:.0%} |" for name, ms in p.packages[:8]]
    lines += ["", "| own time by function | ms per flow | share |", "|---|---:|---:|"]
    lines += [f"| `{name}` | {ms:.2f} | {ms / p.total_ms:.1%} |" for name, ms in p.own]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    parser.add_argument("--flows", type=int, default=200, help="timed flows per measure")
    parser.add_argument("--warmup", type=int, default=20, help="untimed flows first")
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once")
    parser.add_argument(
        "--concurrent-flows", type=int, default=200, help="flows timed with clients at once"
    )
    parser.add_argument(
        "--concurrent-warmup", type=int, default=3, help="untimed flows per concurrent client"
    )
    parser.add_argument(
        "--profile-flows", type=int, default=30, help="flows under cProfile; 0: none"
    )
    add_database_arguments(parser)
    args = parser.parse_args()
    if args.flows < 2 or args.concurrent_flows < args.concurrency:
        parser.error("need at least 2 flows, and a concurrent flow per client")
    return args


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)
    results = in_work_folder(lambda work: [bench(work, db, args) for db in databases(args)])
    details = [
        f"flows: {args.warmup} warm-up then {args.flows} timed, per measure and database; "
        f"{args.concurrency} clients x {args.concurrent_warmup} warm-up flows, then "
        f"{args.concurrent_flows} flows at once",
        "server: `tariffconnect serve` (uvicorn, 1 worker, access log off, log level info, "
        "webhook worker in process)",
    ]
    facts = machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    sections = [
        "# Connect flow benchmark",
        "## Whole manual TOD flow (7 requests)",
        render_flows(results),
        render_verdict(results),
        "## Whole manual TOD flow per tariff element (issue 14), in process, side by side",
        render_elements(results),
        "## Per step (p50 / p99 ms)",
        render_steps(results),
        f"## {args.concurrency} flows at once",
        render_concurrent(results),
        "## Machine",
        "\n".join(facts),
    ]
    details = [render_pieces(r) for r in results if r.pieces is not None]
    details += [render_profile(r) for r in results if r.profile is not None]
    if details:
        sections += ["## Where the time goes (in process)", *details]
    print("\n\n".join(sections))
    write_markdown("connect_flow", sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
