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
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from common import (
    BARE_NAME,
    BenchError,
    Row,
    Server,
    Target,
    add_database_arguments,
    add_wrk_arguments,
    auth_headers,
    create_account,
    databases,
    in_work_folder,
    machine_facts,
    measure_row,
    new_parser,
    package_of,
    post_json,
    profile_under_wrk,
    rows_table,
    sample_count,
    serve_bare,
    serve_tariffconnect,
    shares,
    start_run,
    tariffconnect_frames,
    write_markdown,
    wrk_facts,
)

GET_NAME = "GET /connect/{id}"
POST_NAME = "POST /connect"
# The targets, as a share of the bare app's requests/s, on PostgreSQL.
TARGETS = {GET_NAME: 0.5, POST_NAME: 0.25}
TARGET_DATABASE = "postgresql"
LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
REDIRECTS = {"connect_url": "myapp://c", "callback_url": "myapp://done"}


# --- requests made once, outside wrk -----------------------------------------------------------


def connect_body(client: httpx.Client) -> dict[str, str]:
    """A valid POST /connect body, for a location made here (so the body is checked once)."""
    location = post_json(client, "/locations", LOCATION, expect=201)
    body = {"location_id": location["id"], **REDIRECTS}
    created = post_json(client, "/connect", body, expect=200)
    if not created["id"].startswith("cot_"):
        raise BenchError(f"POST /connect answered no session id: {created}")
    return body


def one_session_id(client: httpx.Client, body: dict[str, str]) -> str:
    """The id of a fresh session, checked to be readable with GET /connect/{id}."""
    session_id = str(post_json(client, "/connect", body, expect=200)["id"])
    read = client.get(f"/connect/{session_id}")
    if read.status_code != 200 or read.json()["id"] != session_id:
        raise BenchError(f"GET /connect/{session_id} answered {read.status_code}: {read.text}")
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
class Measured:
    rows: list[Row]
    profiles: list[Path]


def connect_targets(work: Path, database: str, server: Server) -> list[Target]:
    base_url = server.base_url
    _basic, bearer = auth_headers(base_url, create_account(server.env))
    with httpx.Client(base_url=base_url, headers=bearer, timeout=10) as client:
        body = connect_body(client)
        session_id = one_session_id(client, body)
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
                profile_under_wrk(
                    server.pid,
                    target,
                    seconds=args.profile_seconds,
                    connections=args.connections,
                    stem="http_connect",
                )
                for target in targets
            ]
        return Measured(rows, profiles)


# --- profiles (optional, after the measured runs) ----------------------------------------------


def side_of(frames: Sequence[str]) -> str:
    # Handlers run in anyio's worker threads; everything else (uvicorn, middleware, FastAPI's
    # routing and dependencies, serialising) on the event loop thread.
    return "worker thread" if any("WorkerThread.run" in f for f in frames) else "event loop"


def render_profile(path: Path, seconds: int) -> str:
    """Where the GIL-holding samples fell: thread, package, function, TariffConnect code."""
    # py-spy samples 100 times a second; with --gil only while some thread holds the GIL.
    samples = sample_count(path)
    busy = samples / (100 * seconds)
    breakdowns: list[tuple[str, Callable[[list[str]], Iterable[str]]]] = [
        ("by thread", lambda frames: [side_of(frames)]),
        ("own time by package", lambda frames: [package_of(frames[-1])]),
        ("own time by function", lambda frames: [frames[-1]]),
        ("inclusive time of TariffConnect functions", tariffconnect_frames),
    ]
    lines = [f"### {path.name}", "", f"{samples} samples, GIL held {busy:.0%} of the time"]
    for title, key in breakdowns:
        lines += ["", f"{title}:", ""]
        lines += [f"- {share:6.1%}  {name}" for name, share in shares(path, key)]
    return "\n".join(lines)


# --- report ------------------------------------------------------------------------------------


def render_table(rows: Sequence[Row]) -> str:
    return rows_table(rows, baseline=rows[0].result.requests_per_second, baseline_name="bare")


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
    parser = new_parser(__doc__)
    add_wrk_arguments(parser, duration=10, connections=32)
    add_database_arguments(parser)
    parser.add_argument(
        "--profile-seconds", type=int, default=0, help="py-spy each endpoint afterwards (0: no)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run()

    def run(work: Path) -> tuple[list[Row], list[Path]]:
        rows, profiles = [bench_bare(work, args)], []
        for database in databases(args):
            measured = bench_connect(work, database, args)
            rows += measured.rows
            profiles += measured.profiles
        return rows, profiles

    rows, profiles = in_work_folder(run)
    table, verdict = render_table(rows), render_verdict(rows)
    details = [
        *wrk_facts(args),
        "POST /connect: the same wrk settings plus `-s`, a Lua script setting the body",
    ]
    facts = machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    print(f"{table}\n\n{verdict}")
    sections = ["# Connect sessions benchmark", table, verdict, "## Machine", "\n".join(facts)]
    if profiles:
        rendered = [render_profile(path, args.profile_seconds) for path in profiles]
        print("\n\n".join(rendered))
        sections += ["## Profiles (py-spy --gil, after the measured runs)", *rendered]
    write_markdown("http_connect", sections)
    failures = [row for row in rows if row.failure]
    for row in failures:
        r = row.result
        print(f"FAILED: {r.target.name} ({r.target.database}): {row.failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
