"""Speed benchmark (issue 17): hot endpoints against a FastAPI no-op route, in one run.

In one run and one process set: bare Starlette (`bench.bare_app:app`), the FastAPI no-op route
(`bench.bare_app:fastapi_app`), then `tariffconnect serve` on SQLite and/or a fresh PostgreSQL
database, each on uvicorn with one worker, loaded with wrk: GET /account, GET /connect/{id} and
POST /connect (a new session per request, through a wrk Lua script). For each row: requests/s,
p50 and p99, the CPU time per request of the server process and of its PostgreSQL backends, and
the throughput ratio to the FastAPI no-op route, which is the baseline of the issue's targets:

    GET /account >= 0.5x, GET /connect/{id} >= 0.25x, POST /connect (PostgreSQL) >= 0.1x

The load average is recorded before and after. `--env NAME=VALUE` (repeatable) sets a
TARIFFCONNECT_ setting on the TariffConnect servers, to compare configurations in one sitting
(for instance TARIFFCONNECT_DB_POOL_SIZE, which also sizes the thread pool).

    .venv/bin/python bench/http_speed.py [--duration 10] [--connections 32]
                                         [--database sqlite|postgresql|both] [--env N=V ...]

Needs wrk on PATH; for PostgreSQL, a server that lets --postgres-url create databases. A row
with failed responses is marked, the others are still measured, and the script exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from common import (
    BARE_NAME,
    Row,
    Target,
    add_database_arguments,
    add_env_argument,
    add_wrk_arguments,
    auth_headers,
    create_account,
    databases,
    in_work_folder,
    machine_facts,
    measure_row,
    new_parser,
    rows_table,
    serve_bare,
    serve_tariffconnect,
    start_run,
    write_markdown,
    wrk_facts,
)
from http_connect import GET_NAME, POST_NAME, connect_targets

NOOP_NAME = "FastAPI no-op GET /"
ACCOUNT_NAME = "GET /account"
# The targets: a share of the FastAPI no-op route's requests/s (and the database).
TARGETS = {
    ACCOUNT_NAME: (0.5, None),
    GET_NAME: (0.25, None),
    POST_NAME: (0.1, "postgresql"),
}


def bench_baselines(work: Path, args: argparse.Namespace) -> list[Row]:
    rows = []
    for app, name in (("app", BARE_NAME), ("fastapi_app", NOOP_NAME)):
        print(name, file=sys.stderr)
        with serve_bare(work, app) as server:
            rows.append(measure_row(Target(name, "-", f"{server.base_url}/", {}), server, args))
    return rows


def bench_tariffconnect(work: Path, database: str, args: argparse.Namespace) -> list[Row]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url, env=args.env) as server:
        _basic, bearer = auth_headers(server.base_url, create_account(server.env))
        account = Target(ACCOUNT_NAME, database, f"{server.base_url}/account", bearer)
        targets = [account, *connect_targets(work, database, server)]
        return [measure_row(target, server, args) for target in targets]


def render_table(rows: Sequence[Row]) -> str:
    return rows_table(
        rows, baseline=rows[1].result.requests_per_second, baseline_name="FastAPI no-op"
    )


def render_verdict(rows: Sequence[Row]) -> str:
    noop = rows[1].result.requests_per_second
    lines = []
    for row in rows[2:]:
        r = row.result
        target, database = TARGETS[r.target.name]
        ratio = r.requests_per_second / noop
        verdict = "met" if ratio >= target and row.failure is None else "NOT met"
        if database is not None and r.target.database != database:
            verdict = f"({verdict} if it applied: the target is for {database})"
        lines.append(
            f"- {r.target.name} on {r.target.database}: {ratio:.2f}x the FastAPI no-op route, "
            f"target >= {target}x: {verdict}"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    add_wrk_arguments(parser, duration=10, connections=32)
    add_database_arguments(parser)
    add_env_argument(parser)
    args = parser.parse_args()
    args.env = dict(args.env)
    return args


def main() -> int:
    args = parse_args()
    load_before = start_run()

    def run(work: Path) -> list[Row]:
        rows = bench_baselines(work, args)
        for database in databases(args):
            rows += bench_tariffconnect(work, database, args)
        return rows

    rows = in_work_folder(run)
    table, verdict = render_table(rows), render_verdict(rows)
    settings = ", ".join(f"{k}={v}" for k, v in args.env.items()) or "defaults"
    details = machine_facts(
        args,
        load_before=load_before,
        databases=databases(args),
        details=[*wrk_facts(args), f"TariffConnect settings: {settings}"],
    )
    path = write_markdown("http_speed", [table, verdict, "\n".join(details)])
    print(f"{table}\n\n{verdict}\n\n" + "\n".join(details) + f"\n\nwritten to {path}")
    return 1 if any(row.failure for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
