"""HTTP foundation benchmark: GET /login and GET /account against a bare Starlette app.

Starts each server the way it is run in production (uvicorn, one worker, access log off), loads
it with wrk, and prints requests/s, p50 and p99 latency and the throughput ratio to the bare app.
The target is GET /account at >= 0.6x the bare app's requests/s.

    .venv/bin/python bench/http_foundation.py [--duration 10] [--connections 32]
                                              [--database sqlite|postgresql|both]

Needs wrk on PATH; for PostgreSQL, a server that lets --postgres-url create databases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import (
    BARE_NAME,
    Result,
    Target,
    add_database_arguments,
    add_wrk_arguments,
    auth_headers,
    create_account,
    databases,
    in_work_folder,
    machine_facts,
    measure,
    new_parser,
    serve_bare,
    serve_tariffconnect,
    start_run,
    write_markdown,
    wrk_facts,
)

TARGET_RATIO = 0.6


def bench_bare(work: Path, args: argparse.Namespace) -> Result:
    print("bare Starlette app", file=sys.stderr)
    with serve_bare(work) as server:
        return measure(Target(BARE_NAME, "-", f"{server.base_url}/", {}), args)


def bench_tariffconnect(work: Path, database: str, args: argparse.Namespace) -> list[Result]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        base_url = server.base_url
        basic, bearer = auth_headers(base_url, create_account(server.env))
        targets = [
            Target("GET /login", database, f"{base_url}/login", basic),
            Target("GET /account", database, f"{base_url}/account", bearer),
        ]
        return [measure(target, args) for target in targets]


# --- report ------------------------------------------------------------------------------------


def render_table(results: list[Result]) -> str:
    bare = results[0].requests_per_second
    lines = [
        "| target | database | requests/s | p50 ms | p99 ms | ratio to bare |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r.requests_per_second / bare
        lines.append(
            f"| {r.target.name} | {r.target.database} | {r.requests_per_second:.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def render_verdict(results: list[Result]) -> str:
    bare = results[0].requests_per_second
    lines = []
    for r in results:
        if r.target.name == "GET /account":
            ratio = r.requests_per_second / bare
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            lines.append(
                f"- GET /account on {r.target.database}: {ratio:.2f}x bare, "
                f"target >= {TARGET_RATIO}x {verdict}"
            )
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    add_wrk_arguments(parser, duration=10, connections=32)
    add_database_arguments(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run()

    def run(work: Path) -> list[Result]:
        results = [bench_bare(work, args)]
        for database in databases(args):
            results += bench_tariffconnect(work, database, args)
        return results

    results = in_work_folder(run)
    table, verdict = render_table(results), render_verdict(results)
    print(f"{table}\n\n{verdict}")
    facts = machine_facts(
        args,
        load_before=load_before,
        databases=databases(args),
        details=wrk_facts(args),
    )
    sections = ["# HTTP foundation benchmark", table, verdict, "## Machine", "\n".join(facts)]
    write_markdown("http_foundation", sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
