"""OpenADR benchmark: GET /openadr/3.0/events for 1,000 polling VENs, beside GET /account.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets 1,000 locations in Berlin, each with a 15-minute MARKET
tariff on the shipped DE-LU day-ahead source, whose prices -- from 29 days ago to the end of
tomorrow (Berlin), a daily sine plus noise -- are stored with `store.upsert` (the service's one
way to write prices) on the server's own database; the 48-hour window past tomorrow is
forecast, as in production. Each location gets one OpenADR client (`openadr.clients.create`,
what `tariffconnect openadr client create` runs) and each client one access token from
POST /openadr/3.0/auth/token.

Each VEN polls once first, one after the other (its location's series priced: a cache miss,
as the first poll of every quarter hour is); those polls' p50 and p99 are a second table.
wrk then sends GET /account with one bearer token (the baseline: an answer from memory), and
GET /openadr/3.0/events and /programs with the 1,000 tokens in turn (a Lua script), so every
request is another VEN's poll: its client row read, its location's tariffs read, its 48 hours
of 15-minute prices (192 intervals) from the series cache and turned into OpenADR intervals.

    .venv/bin/python bench/bench_openadr.py [--duration 10] [--connections 32]
                                            [--clients 1000] [--database sqlite|postgresql|both]

Needs wrk on PATH; for PostgreSQL, a server that lets --postgres-url create databases.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from common import (
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
    percentile,
    post_json,
    serve_tariffconnect,
    start_run,
    write_markdown,
    wrk_facts,
)
from tariffconnect.db import Database
from tariffconnect.market import store
from tariffconnect.openadr import clients

DE_LU = "mrs_600e544dbb5955bddfbfad0c"
BERLIN = ZoneInfo("Europe/Berlin")
STEP = timedelta(minutes=15)
LOCATION = {"postal_address": {"city": "Berlin", "country_code": "DE"}}
SURCHARGE = {
    "valid_from": "00:00:00",
    "valid_to": "00:00:00",
    "rate": [{"fixed": None, "surcharge_fixed": 0.12, "surcharge_percentage": 19}],
}
MARKET_TARIFF = {
    "market_rates": True,
    "market_source_id": DE_LU,
    "schedule": [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [SURCHARGE]}]}],
}
EVENT_INTERVALS = 192  # 48 hours of quarter hours


def market_rows(now: datetime) -> list[store.Row]:
    """15-minute prices from 29 local days ago to the end of tomorrow (Berlin)."""
    today = now.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    moment, end = (today - timedelta(days=29)).astimezone(UTC), (today + timedelta(days=2))
    rng = random.Random(19)
    rows = []
    while moment < end:
        local = moment.astimezone(BERLIN)
        fraction = (local.hour * 60 + local.minute) / 1440
        value = 0.09 + 0.06 * math.sin(2 * math.pi * (fraction - 0.4)) + rng.gauss(0, 0.01)
        rows.append(store.Row(moment, 15, Decimal(f"{value:.5f}")))
        moment += STEP
    return rows


def first_polls(server: Server, tokens: list[str]) -> tuple[float, float]:
    """Every VEN's first poll of the quarter hour, one after the other: each prices its
    location's 48 hours (a series cache miss). Their p50 and p99 in ms; afterwards every
    series is cached, as it stays for the rest of the quarter hour."""
    timings = []
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for token in tokens:
            started = time.perf_counter()
            check_events(client, token)
            timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 50), percentile(timings, 99)


def make_vens(server: Server, count: int) -> tuple[dict[str, str], list[str]]:
    """The account's bearer header, and `count` VENs' access tokens (one location each)."""
    _basic, bearer = auth_headers(server.base_url, create_account(server.env))
    database = Database(server.sqlalchemy_url, pool_size=1)
    try:
        with database.transaction() as session:
            store.upsert(
                session,
                source_id=DE_LU,
                rows=market_rows(datetime.now(UTC)),
                feed="ENTSOE",
                now=datetime.now(UTC),
            )
        with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
            location_ids = []
            for _ in range(count):
                location = post_json(client, "/locations", LOCATION, expect=201)
                tariff = {"location_id": location["id"], **MARKET_TARIFF}
                post_json(client, "/tariffs", tariff, expect=201)
                location_ids.append(location["id"])
        with database.transaction() as session:
            issued = [clients.create(session, location_id=loc) for loc in location_ids]
    finally:
        database.dispose()
    tokens = []
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for one in issued:
            form = {
                "grant_type": "client_credentials",
                "client_id": one.client_id,
                "client_secret": one.client_secret,
            }
            response = client.post("/openadr/3.0/auth/token", data=form)
            if response.status_code != 200:
                raise BenchError(f"token answered {response.status_code}: {response.text}")
            tokens.append(response.json()["access_token"])
    return bearer, tokens


def check_events(client: httpx.Client, token: str) -> None:
    """One poll answers what the benchmark means to measure: one event of 192 intervals."""
    response = client.get("/openadr/3.0/events", headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise BenchError(f"events answered {response.status_code}: {response.text}")
    events = response.json()
    if len(events) != 1 or len(events[0]["intervals"]) != EVENT_INTERVALS:
        found = [len(e["intervals"]) for e in events]
        raise BenchError(f"expected one event of {EVENT_INTERVALS} intervals, got {found}")


def rotating_script(path: Path, request_path: str, tokens: list[str]) -> Path:
    """A wrk Lua script that sends each request with the next VEN's access token."""
    quoted = ",\n".join(f'  "{token}"' for token in tokens)
    path.write_text(
        f"local tokens = {{\n{quoted}\n}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n % #tokens + 1\n"
        f'  return wrk.format("GET", "{request_path}", '
        '{["Authorization"] = "Bearer " .. tokens[n]})\n'
        "end\n"
    )
    return path


def bench(work: Path, database: str, args: argparse.Namespace) -> tuple[list[Row], str]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        bearer, tokens = make_vens(server, args.clients)
        p50, p99 = first_polls(server, tokens)
        cold = (
            f"| first poll of the quarter hour, {len(tokens):,} VENs one after the other "
            f"(series cache miss) | {database} | {p50:.2f} | {p99:.2f} |"
        )
        base = server.base_url
        targets = [
            Target("GET /account (one token)", database, f"{base}/account", bearer),
            *(
                Target(
                    f"GET {path} ({len(tokens):,} VENs)",
                    database,
                    base + path,
                    {},
                    rotating_script(work / f"{name}-{database}.lua", path, tokens),
                )
                for name, path in (
                    ("events", "/openadr/3.0/events"),
                    ("programs", "/openadr/3.0/programs"),
                )
            ),
        ]
        return [measure_row(target, server, args) for target in targets], cold


def render_table(rows: list[Row]) -> str:
    lines = [
        "| request | database | requests/s | p50 ms | p99 ms | server CPU ms/request "
        "| PostgreSQL CPU ms/request | ratio to GET /account |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    baseline = {
        r.result.target.database: r.result for r in rows if "/account" in r.result.target.name
    }
    for row in rows:
        r = row.result
        postgres = f"{row.postgres_cpu_ms:.2f}" if row.postgres_cpu_ms is not None else ""
        ratio = r.requests_per_second / baseline[r.target.database].requests_per_second
        failed = f" (FAILED: {row.failure})" if row.failure else ""
        lines.append(
            f"| {r.target.name}{failed} | {r.target.database} | {r.requests_per_second:.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {row.server_cpu_ms:.2f} | {postgres} "
            f"| {ratio:.2f} |"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    add_wrk_arguments(parser, duration=10, connections=32)
    add_database_arguments(parser)
    parser.add_argument("--clients", type=int, default=1000, help="polling VENs")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run()

    def run(work: Path) -> tuple[list[Row], list[str]]:
        rows: list[Row] = []
        colds: list[str] = []
        for database in databases(args):
            measured, cold = bench(work, database, args)
            rows += measured
            colds.append(cold)
        return rows, colds

    rows, colds = in_work_folder(run)
    table = render_table(rows)
    cold_table = "\n".join(
        ["| request | database | p50 ms | p99 ms |", "|---|---|---:|---:|", *colds]
    )
    print(f"{table}\n\n{cold_table}")
    facts = machine_facts(
        args,
        load_before=load_before,
        databases=databases(args),
        details=[*wrk_facts(args), f"polling VENs: {args.clients:,}"],
    )
    write_markdown(
        "bench_openadr", ["# OpenADR events benchmark", table, "## Machine", "\n".join(facts)]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
