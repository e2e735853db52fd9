"""SDK overhead benchmark: tariffconnect_client calls beside the same requests sent with httpx.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets a London location with a flat tariff and 250 more locations.
Each pair of rows sends the same request over one keep-alive connection, sequentially: first
with a plain `httpx.Client` and a bearer header (the baseline), then through the SDK's
`Client` (token check, headers, retry loop, error check, pydantic model). The SDK's own cost is
the difference between the two p50s.

- GET /account: `client.account.retrieve()`;
- POST /prices for 24 hours of a flat tariff: `client.prices.retrieve(...)` (the SDK also
  sends an Idempotency-Key, which the service records: part of what this row measures);
- every location, 100 a page (3 pages): `list(client.locations.list(limit=100))` against the
  same `starting_after` walk by hand.

    .venv/bin/python bench/sdk_client.py [--requests 300] [--warmup 20]
                                         [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from common import (
    BenchError,
    add_database_arguments,
    auth_headers,
    create_account,
    databases,
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
from tariffconnect_client import Client

LONDON = {"postal_address": {"city": "London", "post_code": "SW1A 2AA", "country_code": "GB"}}
FLAT = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    {
                        "valid_from": "00:00:00",
                        "valid_to": "00:00:00",
                        "rate": [{"fixed": 0.25, "to_kwh": None}],
                    }
                ],
            }
        ],
    }
]
WINDOW = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-02T00:00:00Z"}
EXTRA_LOCATIONS = 250


@dataclass(frozen=True)
class Row:
    request: str
    database: str
    how: str
    p50_ms: float
    p99_ms: float


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__ or "")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per row first")
    add_database_arguments(parser)
    return parser.parse_args()


def walk_pages(http: httpx.Client, base_url: str) -> int:
    """Every location, page after page, the way an integrator does it without the SDK."""
    count, after = 0, None
    while True:
        params = {"limit": 100} | ({"starting_after": after} if after else {})
        page = http.get(f"{base_url}/locations", params=params).json()
        count += len(page["data"])
        if not page["has_more"]:
            return count
        after = page["data"][-1]["id"]


def timed(name: str, database: str, how: str, call: Callable[[], Any], args: Any) -> Row:
    for _ in range(args.warmup):
        call()
    took = timings_ms(call, args.requests)
    return Row(name, database, how, percentile(took, 50), percentile(took, 99))


def bench(work: Path, database: str, args: argparse.Namespace) -> list[Row]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        account = create_account(server.env)
        _, bearer = auth_headers(server.base_url, account)
        http = httpx.Client(base_url=server.base_url, headers=bearer, timeout=30)
        location = post_json(http, "/locations", LONDON, expect=201)
        post_json(http, "/tariffs", {"location_id": location["id"], "schedule": FLAT}, expect=201)
        for _ in range(EXTRA_LOCATIONS):
            post_json(http, "/locations", LONDON, expect=201)
        sdk = Client(
            account_id=account["account_id"],
            api_key=account["test_api_key"],
            base_url=server.base_url,
        )
        prices_body = {"location_id": location["id"], **WINDOW}
        if walk_pages(http, server.base_url) != EXTRA_LOCATIONS + 1:
            raise BenchError("the page walk did not see every location")
        if len(list(sdk.locations.list(limit=100))) != EXTRA_LOCATIONS + 1:
            raise BenchError("the SDK's list did not see every location")
        pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "GET /account",
                lambda: http.get("/account").raise_for_status(),
                sdk.account.retrieve,
            ),
            (
                "POST /prices, 24 h flat",
                lambda: http.post("/prices", json=prices_body).raise_for_status(),
                lambda: sdk.prices.retrieve(location_id=location["id"], **WINDOW),
            ),
            (
                f"every location ({EXTRA_LOCATIONS + 1}, 3 pages)",
                lambda: walk_pages(http, server.base_url),
                lambda: list(sdk.locations.list(limit=100)),
            ),
        ]
        rows = []
        for name, raw, through_sdk in pairs:
            rows.append(timed(name, database, "httpx (baseline)", raw, args))
            rows.append(timed(name, database, "tariffconnect_client", through_sdk, args))
        sdk.close()
        http.close()
        return rows


def render_table(rows: list[Row]) -> str:
    lines = [
        "| request | database | sent with | p50 ms | p99 ms | SDK p50 overhead ms |",
        "|---|---|---|---:|---:|---:|",
    ]
    baseline = 0.0
    for row in rows:
        is_baseline = row.how.startswith("httpx")
        baseline = row.p50_ms if is_baseline else baseline
        overhead = "" if is_baseline else f"{row.p50_ms - baseline:+.2f}"
        lines.append(
            f"| {row.request} | {row.database} | {row.how} | {row.p50_ms:.2f} "
            f"| {row.p99_ms:.2f} | {overhead} |"
        )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> list[Row]:
        return [row for database in databases(args) for row in bench(work, database, args)]

    rows = in_work_folder(run)
    table = render_table(rows)
    details = [
        f"client: one keep-alive connection per client, {args.warmup} warm-up then "
        f"{args.requests} timed sequential requests per row",
        "server: `tariffconnect serve` (uvicorn, 1 worker, access log off, log level info)",
    ]
    facts = "\n".join(
        machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    )
    print(f"{table}\n\n{facts}")
    write_markdown("sdk_client", ["# SDK overhead benchmark", table, "## Machine", facts])
    return 0


if __name__ == "__main__":
    sys.exit(main())
