"""Connect sessions benchmark: POST /connect and GET /connect/{id} against a bare Starlette app.

In one run: the bare app (bench/bare_app.py), then `tariffconnect serve` on SQLite and on a fresh
PostgreSQL database, each loaded with wrk. GET hammers one session's id; POST sends the same
valid body again and again through a wrk Lua script, so every request creates a session. Prints
requests/s, p50 and p99 latency, the ratio to the bare app and the CPU time per request (server
process, PostgreSQL backends), and checks the targets: GET /connect/{id} >= 0.5x bare and
POST /connect >= 0.25x bare, on PostgreSQL. A run with failed responses (non-2xx, socket errors
or wrk's 2 s timeouts) is reported as such in its row, the other rows are still measured, and
the script exits 1.

    .venv/bin/python bench/http_connect.py [--duration 10] [--connections 32]
                                           [--database sqlite|postgresql|both]
                                           [--profile-seconds 0]

With --profile-seconds N, after the measured runs each TariffConnect endpoint is loaded again
while py-spy samples the server for N seconds; the raw stacks go to bench/out/ and the hottest
functions are printed. The measured figures never include the profiler's overhead.

Needs wrk on PATH; for PostgreSQL, a server that lets --postgres-url create databases.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from http_foundation import (
    BARE_NAME,
    BIN_DIR,
    OUT_DIR,
    REPO,
    WARMUP_SECONDS,
    BenchError,
    Result,
    Server,
    Target,
    add_database_arguments,
    auth_headers,
    create_account,
    expect_ok,
    libpq_url,
    machine_facts,
    parse_wrk,
    prepare_to_run,
    serve_bare,
    serve_tariffconnect,
    write_markdown,
    wrk_failure,
    wrk_output,
)

GET_NAME = "GET /connect/{id}"
POST_NAME = "POST /connect"
# The targets, as a share of the bare app's requests/s, on PostgreSQL.
TARGETS = {GET_NAME: 0.5, POST_NAME: 0.25}
TARGET_DATABASE = "postgresql"
LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
REDIRECTS = {"connect_url": "myapp://c", "callback_url": "myapp://done"}
TOP_FUNCTIONS = 15


# --- requests made once, outside wrk -----------------------------------------------------------


def post_json(url: str, body: object, headers: dict[str, str], *, expect: int) -> dict[str, str]:
    """POST a JSON body; the decoded answer, or BenchError if the status is not `expect`."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    if status != expect:
        raise BenchError(f"POST {url} answered {status}, not {expect}: {answer!r}")
    decoded: dict[str, str] = json.loads(answer)
    return decoded


def connect_body(base_url: str, bearer: dict[str, str]) -> dict[str, str]:
    """A valid POST /connect body, for a location made here (so the body is checked once)."""
    location = post_json(f"{base_url}/locations", LOCATION, bearer, expect=201)
    body = {"location_id": location["id"], **REDIRECTS}
    created = post_json(f"{base_url}/connect", body, bearer, expect=200)
    if not created["id"].startswith("cot_"):
        raise BenchError(f"POST /connect answered no session id: {created}")
    return body


def one_session_id(base_url: str, bearer: dict[str, str], body: dict[str, str]) -> str:
    """The id of a fresh session, checked to be readable with GET /connect/{id}."""
    session_id = post_json(f"{base_url}/connect", body, bearer, expect=200)["id"]
    read = json.loads(expect_ok(f"{base_url}/connect/{session_id}", bearer))
    if read["id"] != session_id:
        raise BenchError(f"GET /connect/{session_id} answered another session: {read}")
    return session_id


def post_script(path: Path, body: dict[str, str], headers: dict[str, str]) -> Path:
    """A wrk Lua script that sends every request as this JSON POST."""
    payload = json.dumps(body)
    # A Lua long bracket needs no escaping as long as the text holds no closing bracket.
    if "]==]" in payload:
        raise BenchError(f"cannot quote the body for Lua: {payload}")
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = [==[{payload}]==]",
        'wrk.headers["Content-Type"] = "application/json"',
        *(f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    result: Result
    failure: str | None = None  # wrk's line counting failed responses: figures incomplete
    # CPU time per request of the server process and of its PostgreSQL backends: it says
    # what a request costs rather than how much CPU the server got, so it moves less than
    # requests/s when other work shares the machine (though shared cores run slower too).
    server_cpu_ms: float | None = None
    postgres_cpu_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Measured:
    rows: list[Row]
    profiles: list[Path]


_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        # proc(5): utime and stime are fields 14 and 15; split after the `(comm)` field,
        # which may hold spaces, they are the 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_backends(server: Server) -> list[int]:
    """The pids of the server's PostgreSQL connections (its pool keeps them open)."""
    if not server.database_url:
        return []
    with psycopg.connect(libpq_url(server.database_url)) as connection:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        query += " AND pid <> pg_backend_pid()"
        return [int(pid) for (pid,) in connection.execute(query)]


def measure_row(target: Target, server: Server, args: argparse.Namespace) -> Row:
    """Like http_foundation.measure, but failed responses mark the row instead of ending the run.

    The other endpoint and database still get measured in the same run; the script then
    exits 1. (A wrk timeout, for one, is a response slower than 2 s, not a lost one: the
    figures around it still say something.)
    """
    wrk_output(target, seconds=WARMUP_SECONDS, connections=args.connections)
    backends = postgres_backends(server)  # after the warm-up has filled the pool
    server_before, postgres_before = cpu_seconds([server.pid]), cpu_seconds(backends)
    output = wrk_output(target, seconds=args.duration, connections=args.connections)
    server_cpu, postgres_cpu = cpu_seconds([server.pid]), cpu_seconds(backends)
    requests = _REQUESTS.search(output)
    if requests is None:
        raise BenchError(f"no request count in wrk's output:\n{output}")
    per_request_ms = 1000 / int(requests.group(1))
    row = Row(
        parse_wrk(target, output),
        wrk_failure(output),
        server_cpu_ms=(server_cpu - server_before) * per_request_ms,
        postgres_cpu_ms=(postgres_cpu - postgres_before) * per_request_ms if backends else None,
    )
    flag = f", FAILED: {row.failure}" if row.failure else ""
    rate = row.result.requests_per_second
    print(f"  {target.name} ({target.database}): {rate:.0f} req/s{flag}", file=sys.stderr)
    return row


def connect_targets(work: Path, database: str, server: Server) -> list[Target]:
    base_url = server.base_url
    _basic, bearer = auth_headers(base_url, create_account(server.env))
    body = connect_body(base_url, bearer)
    session_id = one_session_id(base_url, bearer, body)
    script = post_script(work / f"post-connect-{database}.lua", body, bearer)
    return [
        Target(GET_NAME, database, f"{base_url}/connect/{session_id}", bearer),
        # The script sets every header itself: -H would only duplicate them.
        Target(POST_NAME, database, f"{base_url}/connect", {}, script),
    ]


def bench_bare(work: Path, args: argparse.Namespace) -> Row:
    print("bare Starlette app", file=sys.stderr)
    with serve_bare(work) as server:
        return measure_row(Target(BARE_NAME, "-", f"{server.base_url}/", {}), server, args)


def bench_connect(work: Path, database: str, args: argparse.Namespace) -> Measured:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        targets = connect_targets(work, database, server)
        rows = [measure_row(target, server, args) for target in targets]
        profiles = []
        if args.profile_seconds > 0:
            profiles = [
                profile(
                    server.pid,
                    target,
                    seconds=args.profile_seconds,
                    connections=args.connections,
                    path=profile_path("http_connect", target),
                )
                for target in targets
            ]
        return Measured(rows, profiles)


# --- profiling (optional, after the measured runs) -----------------------------------------------


def profile_path(stem: str, target: Target) -> Path:
    """bench/out/<stem>-<database>-<target name as a slug>-<pid>.folded"""
    slug = re.sub(r"[^a-z0-9]+", "-", target.name.lower()).strip("-")
    return OUT_DIR / f"{stem}-{target.database}-{slug}-{os.getpid()}.folded"


def profile(pid: int, target: Target, *, seconds: int, connections: int, path: Path) -> Path:
    """Sample the server with py-spy while wrk loads `target`; write folded stacks to `path`."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # wrk runs a little longer than py-spy so that every sample is taken under full load.
    load = threading.Thread(
        target=wrk_output,
        args=(target,),
        kwargs={"seconds": seconds + 2, "connections": connections},
    )
    load.start()
    command = [
        *(str(BIN_DIR / "py-spy"), "record", "-p", str(pid), "-d", str(seconds)),
        # --gil: only samples of the thread holding the GIL. One worker process can run Python
        # on one core at a time, so the GIL is what limits its throughput; waits for the
        # database or for a thread would otherwise crowd the picture.
        *("-f", "raw", "-o", str(path), "--nonblocking", "--gil"),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True)
    finally:
        load.join()
    print(f"  profiled {target.name} ({target.database}) into {path}", file=sys.stderr)
    return path


_LINE_NUMBER = re.compile(r":\d+\)$")


def folded_stacks(path: Path) -> Iterable[tuple[list[str], int]]:
    """(frames, samples) per line of py-spy's raw output, outermost frame first.

    Frames are `function (file)`: without the line number, the lines of one function add up.
    """
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            yield [_LINE_NUMBER.sub(")", frame) for frame in stack.split(";")], int(count)


def _module_path(frame: str) -> str:
    """`sqlalchemy/orm/loading.py` out of `instances (sqlalchemy/orm/loading.py)`."""
    return frame.rpartition(" (")[2].rstrip(")")


def package_of(frame: str) -> str:
    """The distribution a frame's code belongs to; the standard library as one."""
    top = _module_path(frame).split("/")[0].removesuffix(".py")
    if top in sys.stdlib_module_names:
        return "stdlib"
    return top if top.isidentifier() else "other"  # `<string>`: generated code


def side_of(frames: Sequence[str]) -> str:
    # Handlers run in anyio's worker threads; everything else (uvicorn, middleware, FastAPI's
    # routing and dependencies, serialising) on the event loop thread.
    return "worker thread" if any("WorkerThread.run" in f for f in frames) else "event loop"


def shares(path: Path, key: Callable[[list[str]], Iterable[str]]) -> list[tuple[str, float]]:
    """Share of samples per key; a stack counts once for each distinct key it yields."""
    counts: Counter[str] = Counter()
    total = 0
    for frames, samples in folded_stacks(path):
        total += samples
        for name in set(key(frames)):
            counts[name] += samples
    return [(name, count / total) for name, count in counts.most_common(TOP_FUNCTIONS)]


def sample_count(path: Path) -> int:
    return sum(samples for _frames, samples in folded_stacks(path))


def render_profile(path: Path, seconds: int) -> str:
    """Where the GIL-holding samples fell: thread, package, function, TariffConnect code."""
    # py-spy samples 100 times a second; with --gil only while some thread holds the GIL.
    samples = sample_count(path)
    busy = samples / (100 * seconds)
    breakdowns: list[tuple[str, Callable[[list[str]], Iterable[str]]]] = [
        ("by thread", lambda frames: [side_of(frames)]),
        ("own time by package", lambda frames: [package_of(frames[-1])]),
        ("own time by function", lambda frames: [frames[-1]]),
        (
            "inclusive time of TariffConnect functions",
            lambda frames: [f for f in frames if _module_path(f).startswith("tariffconnect/")],
        ),
    ]
    lines = [f"### {path.name}", "", f"{samples} samples, GIL held {busy:.0%} of the time"]
    for title, key in breakdowns:
        lines += ["", f"{title}:", ""]
        lines += [f"- {share:6.1%}  {name}" for name, share in shares(path, key)]
    return "\n".join(lines)


# --- report ------------------------------------------------------------------------------------


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_table(rows: Sequence[Row]) -> str:
    bare = rows[0].result.requests_per_second
    lines = [
        "| target | database | requests/s | p50 ms | p99 ms | ratio to bare "
        "| server CPU ms/req | PostgreSQL CPU ms/req | failed responses |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        r = row.result
        lines.append(
            f"| {r.target.name} | {r.target.database} | {r.requests_per_second:.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests_per_second / bare:.2f} "
            f"| {format_ms(row.server_cpu_ms)} | {format_ms(row.postgres_cpu_ms)} "
            f"| {row.failure or 'none'} |"
        )
    return "\n".join(lines)


def render_verdict(rows: Sequence[Row]) -> str:
    bare = rows[0].result.requests_per_second
    lines = []
    for row in rows[1:]:
        r = row.result
        target = TARGETS[r.target.name]
        ratio = r.requests_per_second / bare
        verdict = "met" if ratio >= target and row.failure is None else "NOT met"
        # The targets are for PostgreSQL; SQLite is reported for comparison.
        if r.target.database != TARGET_DATABASE:
            verdict = f"({verdict} if it applied)"
        failed = f" ({row.failure})" if row.failure else ""
        lines.append(
            f"- {r.target.name} on {r.target.database}: {ratio:.2f}x bare{failed}, "
            f"target >= {target}x {verdict}"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    add_database_arguments(parser)
    parser.add_argument(
        "--profile-seconds", type=int, default=0, help="py-spy each endpoint afterwards (0: no)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not prepare_to_run():
        return 2
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="tariffconnect-bench-") as work:
            rows, profiles = [bench_bare(Path(work), args)], []
            for database in databases:
                measured = bench_connect(Path(work), database, args)
                rows += measured.rows
                profiles += measured.profiles
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    table, verdict = render_table(rows), render_verdict(rows)
    facts = machine_facts(args, databases, load_before)
    facts.append("- POST /connect: the same wrk settings plus `-s`, a Lua script setting the body")
    print(f"{table}\n\n{verdict}")
    sections = ["# Connect sessions benchmark", table, verdict, "## Machine", "\n".join(facts)]
    if profiles:
        rendered = [render_profile(path, args.profile_seconds) for path in profiles]
        print("\n\n".join(rendered))
        sections += ["## Profiles (py-spy --gil, after the measured runs)", *rendered]
    report = write_markdown("http_connect", sections)
    print(f"\nwritten to {report.relative_to(REPO)}", file=sys.stderr)
    failures = [row for row in rows if row.failure]
    for row in failures:
        r = row.result
        print(f"FAILED: {r.target.name} ({r.target.database}): {row.failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
