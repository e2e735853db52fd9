"""Feeds benchmark: GET /feeds/{token}/evcc.json and homeassistant.json of a 15-minute market
tariff, beside GET /account, in the same run.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets a London location with a 15-minute market tariff (a surcharge
on a fake source), whose market prices -- 15-minute values from two days before now to three
days after, a daily sine, no two neighbours equal -- are stored with `store.upsert` on the
server's own database, and a feed token made with `tariffconnect feed-token create --json`.
One httpx client on a keep-alive connection sends --warmup requests, then --requests timed
sequential ones, to each of: GET /account (the baseline, bearer token), the evcc feed (192
quarter hours), the Home Assistant feed (today and tomorrow, 192 quarter hours with the
lists and attributes) and the calendar feed (`cheapest.ics?hours=3`, no target). p50 and p99
are those round trips; "server CPU" is the server process's CPU time over them, per request.
Two more rows time the evcc and Home Assistant renders in this process, on the server's
database, with the feed body cache and the price series cache emptied before each call: the
first poll of a new window.

Target (from the issue): the evcc and Home Assistant feeds p50 <= 5 ms, served from the price
cache (the window moves once a quarter hour, or once a day, so polls hit prices/cache.py).

    .venv/bin/python bench/bench_feeds.py [--requests 300] [--warmup 30]
                                          [--database sqlite|postgresql|both]

Any non-200 answer, or a feed with another number of slots than expected, stops the run.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import orjson

from common import (
    BIN_DIR,
    BenchError,
    add_database_arguments,
    auth_headers,
    cpu_seconds,
    create_account,
    databases,
    format_ms,
    in_work_folder,
    machine_facts,
    new_parser,
    percentile,
    post_json,
    serve_tariffconnect,
    start_run,
    timings_ms,
    write_markdown,
)
from tariffconnect.db import Database
from tariffconnect.feeds import cache as feed_cache
from tariffconnect.feeds import evcc, homeassistant, tokens
from tariffconnect.market import store
from tariffconnect.prices import service as price_service
from tariffconnect.prices.cache import SeriesCache

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
MARKET_SOURCE = "mrs_" + "fd" * 12
STEP = timedelta(minutes=15)
TARGET_MS = 5.0
IN_PROCESS_ROUNDS = 50
MARKET_SCHEDULE = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    {
                        "valid_from": "00:00:00",
                        "valid_to": "00:00:00",
                        "rate": [{"surcharge_fixed": 0.02, "surcharge_percentage": 0.05}],
                    }
                ],
            }
        ],
    }
]


def market_rows(now: datetime) -> list[store.Row]:
    """15-minute prices from two days before `now` to three days after: a daily sine, each
    nudged off the one before so that every quarter hour is its own interval."""
    start = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=2)
    rows: list[store.Row] = []
    previous = None
    for index in range(5 * 96):
        moment = start + index * STEP
        fraction = (moment.hour * 60 + moment.minute) / 1440
        price = Decimal(f"{0.12 + 0.08 * math.sin(2 * math.pi * (fraction - 0.4)):.5f}")
        if price == previous:
            price += Decimal("0.00001")
        rows.append(store.Row(moment, 15, price))
        previous = price
    return rows


def feed_token(env: dict[str, str], location_id: str) -> str:
    command = [str(BIN_DIR / "tariffconnect"), "feed-token", "create", "--location", location_id]
    done = subprocess.run([*command, "--json"], env=env, check=True, capture_output=True, text=True)
    token: str = json.loads(done.stdout)["token"]
    return token


def check_evcc(body: bytes) -> None:
    if len(orjson.loads(body)) != 192:
        raise BenchError("the evcc feed has another number of slots than 192")


def check_home_assistant(body: bytes) -> None:
    answer = orjson.loads(body)
    if not answer["tomorrow_valid"] or len(answer["raw_today"]) + len(answer["raw_tomorrow"]) < 184:
        raise BenchError(f"the Home Assistant feed is short: {str(answer)[:300]}")


def timed(
    client: httpx.Client, server_pid: int, path: str, args: argparse.Namespace
) -> tuple[int, list[float], float]:
    """(body bytes, latencies in ms, server CPU ms per request) of sequential GETs of `path`
    after a warm-up. The CPU time says what a request costs, whatever else shares the
    machine (its latency does not)."""

    def get() -> httpx.Response:
        response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        return response

    size = len(get().content)
    timings_ms(get, args.warmup)
    before = cpu_seconds([server_pid])
    latencies = timings_ms(get, args.requests)
    return size, latencies, (cpu_seconds([server_pid]) - before) * 1000 / args.requests


def bench(work: Path, database: str, args: argparse.Namespace) -> list[Result]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    limits = {"TARIFFCONNECT_RATE_LIMIT_FEED": "100000000/second"}
    with serve_tariffconnect(work, database, args.postgres_url, env=limits) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
            location = post_json(client, "/locations", LOCATION, expect=201)["id"]
            tariff = {
                "location_id": location,
                "market_rates": True,
                "market_source_id": MARKET_SOURCE,
                "schedule": MARKET_SCHEDULE,
            }
            post_json(client, "/tariffs", tariff, expect=201)
            local = Database(server.sqlalchemy_url, pool_size=1)
            with local.transaction() as session:
                now = datetime.now(UTC)
                rows = market_rows(now)
                store.upsert(session, source_id=MARKET_SOURCE, rows=rows, feed="IMPORT", now=now)
            token = feed_token(server.env, location)
            check_evcc(client.get(f"/feeds/{token}/evcc.json").content)
            check_home_assistant(client.get(f"/feeds/{token}/homeassistant.json").content)
            feeds = f"/feeds/{token}"
            cases: Sequence[tuple[str, str, float | None]] = (
                ("GET /account (baseline)", "/account", None),
                ("GET /feeds/…/evcc.json", f"{feeds}/evcc.json", TARGET_MS),
                ("GET /feeds/…/homeassistant.json", f"{feeds}/homeassistant.json", TARGET_MS),
                ("GET /feeds/…/cheapest.ics?hours=3", f"{feeds}/cheapest.ics?hours=3", None),
            )
            results = []
            for name, path, target in cases:
                size, latencies, cpu = timed(client, server.pid, path, args)
                p50, p99 = statistics.median(latencies), percentile(latencies, 99)
                print(f"  {name} ({database}): p50 {p50:.2f} ms, p99 {p99:.2f} ms", file=sys.stderr)
                results.append(Result(name, database, size, p50, p99, cpu, target))
            misses = [
                missed(local, token, name, render, database) for name, render in RENDERS.items()
            ]
            local.dispose()
    return results + misses


# The feeds as the server renders them, timed in this process on the server's database with
# both caches emptied before each call: what the first poll of a new window costs.
RENDERS: dict[str, Callable[..., bytes]] = {
    "evcc.json, caches missed (in process)": evcc.body,
    "homeassistant.json, caches missed (in process)": homeassistant.body,
}


def missed(
    database: Database, token: str, name: str, render: Callable[..., bytes], label: str
) -> Result:
    def call() -> bytes:
        feed_cache.BODIES = SeriesCache(feed_cache.BODIES.max_bytes)
        price_service.SERIES = SeriesCache(price_service.SERIES.max_bytes)
        with database.transaction(write=False) as session:
            return render(session, feed=tokens.resolve(session, token=token), now=datetime.now(UTC))

    size = len(call())
    latencies = timings_ms(call, IN_PROCESS_ROUNDS)
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    print(f"  {name} ({label}): p50 {p50:.2f} ms", file=sys.stderr)
    return Result(name, label, size, p50, p99, None, None)


@dataclass(frozen=True, slots=True)
class Result:
    request: str
    database: str
    body_bytes: int
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float | None  # None: timed in this process
    target_ms: float | None

    @property
    def missed(self) -> bool:
        return self.target_ms is not None and self.p50_ms > self.target_ms


def table(results: Sequence[Result]) -> str:
    lines = [
        "| request | database | body KB | p50 ms | p99 ms | server CPU ms/req | target p50 ms "
        "| met |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        target = "" if r.target_ms is None else f"{r.target_ms:g}"
        met = "" if r.target_ms is None else ("NO" if r.missed else "yes")
        lines.append(
            f"| {r.request} | {r.database} | {r.body_bytes / 1024:.1f} | {r.p50_ms:.2f} "
            f"| {r.p99_ms:.2f} | {format_ms(r.server_cpu_ms)} | {target} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = new_parser(__doc__ or "")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    add_database_arguments(parser)
    args = parser.parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> None:
        rows = [row for database in databases(args) for row in bench(work, database, args)]
        report = table(rows)
        print(report)
        facts = machine_facts(
            args,
            load_before=load_before,
            databases=databases(args),
            details=[f"requests: {args.requests} sequential after {args.warmup} warm-up"],
        )
        write_markdown("bench_feeds", ["## Feeds", "\n".join(facts), report])
        missed = [(row.request, row.database) for row in rows if row.missed]
        if missed:
            raise BenchError(f"target missed: {missed}")

    in_work_folder(run)


if __name__ == "__main__":
    main()
