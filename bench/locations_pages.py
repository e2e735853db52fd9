"""Locations benchmark: GET /locations cursor pages with 10 thousand and 1 million rows.

One account on a fresh PostgreSQL database, served by `tariffconnect serve`. Locations are
bulk-loaded straight into the `locations` table (the API would take hours for a million): first
the newest 10 thousand, measured, then the older rest up to a million, measured again. Each time
wrk loads the first page (`limit=100`) and a deep page (`starting_after` an id 80% of the way down
the list, newest first, so in the oldest quarter), and the queries the API runs for a page are
shown with EXPLAIN (ANALYZE, BUFFERS). Target: each page at 1M within 1.5x of its p50 at 10k.

    .venv/bin/python bench/locations_pages.py [--duration 8] [--connections 8] [--rounds 3]
                                              [--rows 10000,1000000] [--profile-seconds 0]

With --profile-seconds N, each page is loaded again after its measured run while py-spy samples
the server for N seconds (common.py's profile_under_wrk); the raw stacks go to bench/out/.

Needs wrk on PATH and a PostgreSQL server that lets --postgres-url create databases.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event

from common import (
    BenchError,
    Row,
    Server,
    Target,
    add_database_arguments,
    add_wrk_arguments,
    auth_headers,
    create_account,
    expect_ok,
    format_ms,
    in_work_folder,
    libpq_url,
    machine_facts,
    measure_row,
    new_parser,
    profile_under_wrk,
    serve_tariffconnect,
    start_run,
    write_markdown,
    wrk_facts,
)
from tariffconnect.core.pagination import PageParams
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.locations import service as locations

DATABASE = "postgresql"
PAGE_SIZE = 100
# Newest first, the deep page starts 80% of the way down: inside the oldest quarter.
DEEP_FRACTION = 0.8
TARGET_P50_RATIO = 1.5
PAGES = ("first page", "deep page")


@dataclass(frozen=True, slots=True)
class Plan:
    """What EXPLAIN (ANALYZE, BUFFERS) says of one statement, in brief and in full."""

    statement: str
    indexes: list[str]
    execution_ms: float
    shared_hit: int
    shared_read: int
    text: str


@dataclass(frozen=True, slots=True)
class PageRun:
    rows: int
    page: str
    measured: Row
    custom: list[Plan]  # one per statement the page runs, with its parameters' values
    generic: list[Plan]  # the same, as a prepared statement's generic plan


# --- bulk load -----------------------------------------------------------------------------------


# Row g of a load gets the millisecond `base + g`, so ids ("loc_" + 12 hex digits of that time +
# 12 more) grow with g, as the API's time-ordered ids do. md5 stands in for the random part.
_INSERT = """
INSERT INTO locations (id, account_id, live_mode, time_created,
                       city, country_code, timezone, currency_code)
SELECT 'loc_' || lpad(to_hex(%(base)s::bigint + g), 12, '0') || left(md5(g::text), 12),
       %(account_id)s, false, to_timestamp((%(base)s::bigint + g) / 1000.0),
       'London', 'GB', 'Europe/London', 'GBP'
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""


def load(url: str, account_id: str, *, base_ms: int, first: int, last: int) -> None:
    """Insert rows `first..last` for the account, then VACUUM ANALYZE the table.

    VACUUM as well as ANALYZE: it sets the hint bits and visibility map that autovacuum would
    have set on a table this old, so the first reads under load do not pay for writing them.
    """
    started = time.monotonic()
    params = {"base": base_ms, "account_id": account_id, "first": first, "last": last}
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.transaction():
            connection.execute(_INSERT, params)
        connection.execute("VACUUM (ANALYZE) locations")
    took = time.monotonic() - started
    print(f"  loaded {last - first + 1} locations in {took:.1f}s", file=sys.stderr)


def deep_cursor(url: str, account_id: str, rows: int) -> str:
    """The id DEEP_FRACTION of the way down the account's list, newest first."""
    query = """
        SELECT id FROM locations WHERE account_id = %s AND live_mode = false
        ORDER BY id DESC OFFSET %s LIMIT 1
    """
    with psycopg.connect(url) as connection:
        row = connection.execute(query, (account_id, int(rows * DEEP_FRACTION))).fetchone()
    if row is None:
        raise BenchError(f"fewer than {rows} locations in the table")
    return str(row[0])


# --- the pages ---------------------------------------------------------------------------------


def check_page(target: Target, cursor: str | None) -> None:
    """One full page, newest first, after the cursor if any: wrk alone only sees 200s."""
    answer = json.loads(expect_ok(target.url, target.headers))
    ids = [location["id"] for location in answer["data"]]
    if len(ids) != PAGE_SIZE or not answer["has_more"]:
        raise BenchError(f"{target.url}: {len(ids)} locations, has_more {answer['has_more']}")
    if ids != sorted(ids, reverse=True) or (cursor is not None and ids[0] >= cursor):
        raise BenchError(f"{target.url}: not the page after {cursor}, newest first")


# --- the API's own queries, explained ------------------------------------------------------------


def page_statements(
    sqlalchemy_url: str, account_id: str, cursor: str | None
) -> list[tuple[str, Any]]:
    """The SQL statements (and parameters) that GET /locations runs for this page.

    Captured by running the service's own list function on the same database, with the
    server's driver, so they are the queries the server runs, not a copy that could drift.
    """
    database = Database(sqlalchemy_url, pool_size=1)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        with database.transaction(write=False) as session:
            locations.list_(
                session,
                scope=Scope(account_id=account_id, live_mode=False),
                page=PageParams(limit=PAGE_SIZE, starting_after=cursor, ending_before=None),
                reference_id=None,
                customer_id=None,
            )
    finally:
        database.dispose()
    return captured


PLAN_LINE_LIMIT = 160  # the device query lists a page of ids: keep the plan readable


def shorten(plan_text: str) -> str:
    lines = plan_text.splitlines()
    return "\n".join(
        line if len(line) <= PLAN_LINE_LIMIT else line[:PLAN_LINE_LIMIT] + " …" for line in lines
    )


def summarise(statement: str, explained: dict[str, Any], text: str) -> Plan:
    indexes: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Index Name" in node:
            direction = " Backward" if node.get("Scan Direction") == "Backward" else ""
            indexes.append(f"{node['Node Type']}{direction} using {node['Index Name']}")
        for child in node.get("Plans", []):
            walk(child)

    top = explained["Plan"]
    walk(top)
    return Plan(
        statement=" ".join(statement.split()),
        indexes=indexes or [top["Node Type"]],
        execution_ms=float(explained["Execution Time"]),
        shared_hit=int(top.get("Shared Hit Blocks", 0)),
        shared_read=int(top.get("Shared Read Blocks", 0)),
        text=shorten(text),
    )


_PYFORMAT = re.compile(r"%\((\w+)\)s")


def generic_form(statement: str, parameters: dict[str, Any]) -> tuple[str, list[Any]]:
    """`statement` with $1.. placeholders (for PREPARE), and the values in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PYFORMAT.sub(number, statement), [parameters[name] for name in names]


def explain(url: str, statement: str, parameters: dict[str, Any], *, generic: bool) -> Plan:
    """EXPLAIN (ANALYZE, BUFFERS) with the parameters bound, or of the generic plan.

    The server's driver (psycopg) prepares a statement after 5 executions, and PostgreSQL then
    settles on a generic plan that ignores the values, so under load the generic plan is the
    one that runs; bound values give the custom plan of the first few executions.
    """
    with psycopg.connect(url) as connection:
        query: sql.Composable = sql.SQL(statement)
        bound: dict[str, Any] | None = parameters
        if generic:
            numbered, values = generic_form(statement, parameters)
            connection.execute(sql.SQL("PREPARE page AS {}").format(sql.SQL(numbered)))
            connection.execute("SET plan_cache_mode = force_generic_plan")
            literals = sql.SQL(", ").join(sql.Literal(value) for value in values)
            query, bound = sql.SQL("EXECUTE page ({})").format(literals), None
        options = "ANALYZE, BUFFERS"
        as_json = connection.execute(sql.SQL(f"EXPLAIN ({options}, FORMAT JSON) ") + query, bound)
        explained = as_json.fetchone()
        as_text = connection.execute(sql.SQL(f"EXPLAIN ({options}) ") + query, bound)
        text = "\n".join(str(line[0]) for line in as_text.fetchall())
    if explained is None:
        raise BenchError(f"no plan for {statement}")
    return summarise(statement, explained[0][0], text)


def explain_page(bench: Bench, cursor: str | None) -> tuple[list[Plan], list[Plan]]:
    statements = page_statements(bench.server.database_url, bench.account_id, cursor)
    url = bench.database_url
    custom = [explain(url, s, p, generic=False) for s, p in statements]
    generic = [explain(url, s, p, generic=True) for s, p in statements]
    return custom, generic


# --- the benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bench:
    """The server under test and the one account whose locations it pages through."""

    database_url: str  # libpq form, for loading and EXPLAIN
    bearer: dict[str, str]
    account_id: str
    server: Server
    args: argparse.Namespace


def measure_median(target: Target, bench: Bench) -> Row:
    """The round with the median p50 of --rounds runs of wrk; any failed response stops all.

    Latency on a shared machine swings by tens of percent from one run to the next; the
    median of a few runs keeps one unlucky run from deciding a 1.5x comparison.
    """
    rounds = [measure_row(target, bench.server, bench.args) for _ in range(bench.args.rounds)]
    for row in rounds:
        if row.failure:
            raise BenchError(f"{target.name}: {row.failure}")
    return sorted(rounds, key=lambda row: row.result.p50_ms)[len(rounds) // 2]


def measure_pages(bench: Bench, rows: int) -> list[PageRun]:
    cursor = deep_cursor(bench.database_url, bench.account_id, rows)
    runs = []
    for page, after in zip(PAGES, (None, cursor), strict=True):
        url = f"{bench.server.base_url}/locations?limit={PAGE_SIZE}"
        if after is not None:
            url += f"&starting_after={after}"
        target = Target(f"{page} @{rows:,}", DATABASE, url, bench.bearer)
        check_page(target, after)
        measured = measure_median(target, bench)
        if bench.args.profile_seconds > 0:
            profile_under_wrk(
                bench.server.pid,
                target,
                seconds=bench.args.profile_seconds,
                connections=bench.args.connections,
                stem="locations_pages",
            )
        custom, generic = explain_page(bench, after)
        runs.append(PageRun(rows, page, measured, custom, generic))
    return runs


def bench_locations(work: Path, args: argparse.Namespace) -> list[PageRun]:
    sizes = sorted(args.rows)
    largest = sizes[-1]
    # Row g (1..largest) is created at millisecond base_ms + g, all in the past. Each size adds
    # the next older rows, so the first page is the same rows at every size while the deep
    # page moves deeper.
    base_ms = time.time_ns() // 1_000_000 - largest - 60_000
    print(f"TariffConnect on {DATABASE}", file=sys.stderr)
    with serve_tariffconnect(work, DATABASE, args.postgres_url) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        url = libpq_url(server.database_url)
        bench = Bench(url, bearer, account["account_id"], server, args)
        runs: list[PageRun] = []
        loaded = 0
        for rows in sizes:
            first, last = largest - rows + 1, largest - loaded
            load(url, bench.account_id, base_ms=base_ms, first=first, last=last)
            loaded = rows
            runs += measure_pages(bench, rows)
        return runs


# --- report ------------------------------------------------------------------------------------


def _smallest(runs: Sequence[PageRun], page: str) -> PageRun:
    return min((run for run in runs if run.page == page), key=lambda run: run.rows)


def render_table(runs: Sequence[PageRun]) -> str:
    lines = [
        "| page | locations | requests/s | p50 ms | p99 ms | p50 vs smallest "
        "| server CPU ms/req | PostgreSQL CPU ms/req "
        "| page query plan (generic) | SQL ms per statement (generic) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in runs:
        r, cpu = run.measured.result, run.measured
        p50_ratio = r.p50_ms / _smallest(runs, run.page).measured.result.p50_ms
        # One entry per statement the page runs, in order: the page query comes first.
        sql_ms = " + ".join(f"{plan.execution_ms:.3f}" for plan in run.generic)
        lines.append(
            f"| {run.page} | {run.rows:,} | {r.requests_per_second:.0f} | {r.p50_ms:.2f} "
            f"| {r.p99_ms:.2f} | {p50_ratio:.2f}x "
            f"| {format_ms(cpu.server_cpu_ms)} | {format_ms(cpu.postgres_cpu_ms)} "
            f"| {'; '.join(run.generic[0].indexes)} | {sql_ms} |"
        )
    return "\n".join(lines)


def render_verdict(runs: Sequence[PageRun]) -> str:
    largest = max(run.rows for run in runs)
    lines = []
    for page in PAGES:
        small = _smallest(runs, page)
        large = next(run for run in runs if run.page == page and run.rows == largest)
        p50_small, p50_large = small.measured.result.p50_ms, large.measured.result.p50_ms
        ratio = p50_large / p50_small
        verdict = "met" if ratio <= TARGET_P50_RATIO else "NOT met"
        # CPU per request barely moves with other load on the machine, unlike latency.
        cpu_small, cpu_large = small.measured.server_cpu_ms, large.measured.server_cpu_ms
        cpu = ""
        if cpu_small and cpu_large:
            cpu = f"; server CPU/request {cpu_large / cpu_small:.2f}x"
        lines.append(
            f"- {page}: p50 {p50_large:.2f} ms at {largest:,} vs {p50_small:.2f} ms at "
            f"{small.rows:,} = {ratio:.2f}x, target <= {TARGET_P50_RATIO}x {verdict}{cpu}"
        )
    return "\n".join(lines)


def render_plans(runs: Sequence[PageRun]) -> Iterator[str]:
    for run in runs:
        yield f"### {run.page} @{run.rows:,}"
        for kind, plans in (("custom", run.custom), ("generic", run.generic)):
            for plan in plans:
                yield (
                    f"{kind} plan, {plan.execution_ms:.3f} ms, buffers hit {plan.shared_hit} "
                    f"read {plan.shared_read}: `{plan.statement[:160]}`\n\n"
                    f"```\n{plan.text}\n```"
                )


def parse_rows(value: str) -> list[int]:
    rows = [int(part) for part in value.split(",")]
    if len(rows) < 2 or min(rows) <= PAGE_SIZE / (1 - DEEP_FRACTION):
        raise argparse.ArgumentTypeError("give at least two sizes, each over 500")
    return rows


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    add_wrk_arguments(parser, duration=8, connections=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="wrk runs per page; the median p50 is reported"
    )
    parser.add_argument(
        "--rows", type=parse_rows, default=[10_000, 1_000_000], help="table sizes, comma-separated"
    )
    parser.add_argument(
        "--profile-seconds", type=int, default=0, help="py-spy each page afterwards (0: no)"
    )
    add_database_arguments(parser, choose=False)  # PostgreSQL only
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run()
    runs = in_work_folder(lambda work: bench_locations(work, args))
    table, verdict = render_table(runs), render_verdict(runs)
    details = [
        *wrk_facts(args),
        f"each page: {args.rounds} wrk runs, the one with the median p50 reported",
        "locations: one account, test mode, bulk-loaded with INSERT ... SELECT generate_series "
        "into the migrated table, then VACUUM (ANALYZE); deep page cursor "
        f"{DEEP_FRACTION:.0%} of the way down the list",
    ]
    facts = machine_facts(args, load_before=load_before, databases=[DATABASE], details=details)
    print(f"{table}\n\n{verdict}")
    sections = ["# Locations pages benchmark", table, verdict, "## Machine", "\n".join(facts)]
    sections += ["## Query plans (EXPLAIN ANALYZE, BUFFERS)", *render_plans(runs)]
    write_markdown("locations_pages", sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
