"""Meters and costs benchmark: PUT /meters/interval with 10,000 records, POST /costs/interval
over a year of half-hourly records.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets two London locations, each with a two-rate tariff (0.085
from 00:30 to 07:30 local, 0.2755 otherwise, made through the API). One httpx client on a
keep-alive connection sends --warmup requests, then timed sequential ones; p50 and p99 are
those round trips. The rows:

- parse the body alone: `json.loads` (what Starlette's `Request.json` runs) and
  `orjson.loads` of the same 10,000-record body, in this process, median of the same count;
- PUT /meters/interval, 10,000 new records per request (half hours of the first location, a
  fresh stretch of time and fresh record_reference_ids each time, so the table grows and the
  records fall into new monthly partitions on PostgreSQL);
- PUT /meters/interval, the same 10,000 records again (each replaces its stored namesake);
- POST /costs/interval/{location_id}?aggregation=DAY over 2025 on the second location, which
  holds exactly one year of half-hourly records (17,520, loaded through the API first): 365
  local days; and the same with MONTH.

Targets (from the issue): PUT of 10,000 records p50 <= 1 s on PostgreSQL; the year of costs
with DAY aggregation p50 <= 100 ms (both databases).

    .venv/bin/python bench/meters.py [--requests 20] [--cost-requests 50] [--warmup 3]
                                     [--database sqlite|postgresql|both]

Any answer other than 200 (or a batch with failed records) stops the run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from common import (
    JSON,
    BenchError,
    add_database_arguments,
    auth_headers,
    create_account,
    databases,
    in_work_folder,
    latency_table,
    machine_facts,
    new_parser,
    percentile,
    post_json,
    serve_tariffconnect,
    start_run,
    timings_ms,
    write_markdown,
)

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
BATCH = 10_000
HALF_HOUR = timedelta(minutes=30)
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS_MS = {
    ("PUT /meters/interval, 10,000 new records", "postgresql"): 1000.0,
    ("POST /costs/interval, a year, DAY", "postgresql"): 100.0,
    ("POST /costs/interval, a year, DAY", "sqlite"): 100.0,
}


def window(start: str, end: str, rate: float) -> dict[str, object]:
    return {"valid_from": start, "valid_to": end, "rate": [{"fixed": rate}]}


SCHEDULE = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    window("00:30:00", "07:30:00", 0.085),
                    window("07:30:00", "00:30:00", 0.2755),
                ],
            }
        ],
    }
]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def records(location_id: str, first: datetime, count: int, tag: str) -> list[dict[str, object]]:
    """`count` half-hour records from `first`, 100-700 Wh, references `<tag>-<n>`."""
    return [
        {
            "location_id": location_id,
            "record_reference_id": f"{tag}-{n}",
            "energy_flow_direction": "INBOUND",
            "units": "WH",
            "value": 100 + (n * 37) % 600,
            "start_time": stamp(first + n * HALF_HOUR),
            "end_time": stamp(first + (n + 1) * HALF_HOUR),
        }
        for n in range(count)
    ]


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    database: str
    body_bytes: int
    p50_ms: float
    p99_ms: float

    @property
    def target_ms(self) -> float | None:
        return TARGETS_MS.get((self.name, self.database))


def row(name: str, database: str, size: int, latencies: list[float]) -> Row:
    found = Row(name, database, size, statistics.median(latencies), percentile(latencies, 99))
    print(
        f"  {name} ({database}): p50 {found.p50_ms:.2f} ms, p99 {found.p99_ms:.2f} ms",
        file=sys.stderr,
    )
    return found


def put_batch(client: httpx.Client, body: bytes, expect: int) -> None:
    response = client.put("/meters/interval", content=body, headers=JSON)
    if response.status_code != 200:
        raise BenchError(
            f"PUT /meters/interval answered {response.status_code}: {response.text[:300]}"
        )
    batch = response.json()
    if batch["records_accepted"] != expect or batch["failed_records"]:
        raise BenchError(f"a batch was not taken whole: {str(batch)[:300]}")


def post_cost(client: httpx.Client, path: str, body: bytes, periods: int) -> None:
    response = client.post(path, content=body, headers=JSON)
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}: {response.text[:300]}")
    if len(response.json()["data"]) != periods:
        raise BenchError(f"{path}: not {periods} periods")


def cost_row(
    client: httpx.Client,
    database: str,
    args: argparse.Namespace,
    name: str,
    path: str,
    body: bytes,
    periods: int,
) -> Row:
    def call() -> None:
        post_cost(client, path, body, periods)

    call()
    timings_ms(call, args.warmup)
    return row(name, database, len(body), timings_ms(call, args.cost_requests))


def bench(work: Path, database: str, args: argparse.Namespace) -> list[Row]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        with httpx.Client(base_url=server.base_url, headers=bearer, timeout=120) as client:
            meters, costs = (
                post_json(client, "/locations", LOCATION, expect=201)["id"] for _ in "ab"
            )
            for location in (meters, costs):
                tariff = {"location_id": location, "schedule": SCHEDULE}
                post_json(client, "/tariffs", tariff, expect=201)
            year = records(costs, YEAR_START, 17_520, "year")
            for first in range(0, len(year), BATCH):
                chunk = year[first : first + BATCH]
                put_batch(client, orjson.dumps(chunk), len(chunk))

            rounds = args.warmup + args.requests
            fresh = (
                orjson.dumps(
                    records(
                        meters,
                        datetime(2020, 1, 1, tzinfo=UTC) + k * BATCH * HALF_HOUR,
                        BATCH,
                        f"b{k}",
                    )
                )
                for k in range(rounds)
            )
            sample = records(meters, datetime(2019, 1, 1, tzinfo=UTC), BATCH, "again")
            again = orjson.dumps(sample)
            put_batch(client, again, BATCH)
            rows = [
                row(
                    "parse the body alone, json.loads",
                    database,
                    len(again),
                    timings_ms(lambda: json.loads(again), args.requests),
                ),
                row(
                    "parse the body alone, orjson.loads",
                    database,
                    len(again),
                    timings_ms(lambda: orjson.loads(again), args.requests),
                ),
            ]
            timings_ms(lambda: put_batch(client, next(fresh), BATCH), args.warmup)
            latencies = timings_ms(lambda: put_batch(client, next(fresh), BATCH), args.requests)
            rows.append(
                row("PUT /meters/interval, 10,000 new records", database, len(again), latencies)
            )
            timings_ms(lambda: put_batch(client, again, BATCH), args.warmup)
            latencies = timings_ms(lambda: put_batch(client, again, BATCH), args.requests)
            rows.append(
                row("PUT /meters/interval, the same 10,000 again", database, len(again), latencies)
            )

            body = orjson.dumps({"start_time": stamp(YEAR_START), "end_time": stamp(YEAR_END)})
            for aggregation, periods in (("DAY", 365), ("MONTH", 12)):
                path = f"/costs/interval/{costs}?aggregation={aggregation}"
                name = f"POST /costs/interval, a year, {aggregation}"
                rows.append(cost_row(client, database, args, name, path, body, periods))
            return rows


def render_table(rows: Sequence[Row]) -> str:
    return latency_table(
        (r.name, r.database, r.body_bytes, r.p50_ms, r.p99_ms, r.target_ms) for r in rows
    )


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    parser.add_argument("--requests", type=int, default=20, help="timed PUTs per row")
    parser.add_argument("--cost-requests", type=int, default=50, help="timed cost requests per row")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    add_database_arguments(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> list[Row]:
        return [r for database in databases(args) for r in bench(work, database, args)]

    rows = in_work_folder(run)
    table = render_table(rows)
    details = [
        f"client: httpx, one keep-alive connection, {args.warmup} warm-up then {args.requests} "
        f"timed sequential PUTs per row, {args.cost_requests} cost requests",
        "server: `tariffconnect serve` (uvicorn, 1 worker, access log off, log level info)",
        "costs: 17,520 half-hourly records of 2025, a two-rate tariff, Europe/London",
    ]
    facts = "\n".join(
        machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    )
    print(f"{table}\n\n{facts}")
    write_markdown("meters", ["# Meters and costs benchmark", table, "## Machine", facts])
    return 0 if all(r.target_ms is None or r.p50_ms <= r.target_ms for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
