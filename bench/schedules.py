"""Schedules benchmark: /schedules/duration, /limit and /amount over 3 days of 15-minute prices.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets a London location with a 15-minute market tariff (surcharges),
whose prices -- 15-minute values from a day before the window to a day after, a daily sine plus
noise, no two neighbours equal -- are stored with `store.upsert` on the server's own database,
and 10 devices. The window is 2026-03-27 00:00Z to 2026-03-30 00:00Z (288 intervals; the clocks
change on the 29th). One httpx client on a keep-alive connection sends --warmup requests, then
timed sequential ones; p50 and p99 are those round trips. The rows:

- POST /prices/{location_id} for the window: the baseline; answered from the series cache
  after the first request, so a second row shifts the window by a minute on every request;
- POST /schedules/duration, 240 minutes LOW, split and continuous;
- POST /schedules/limit, LOW, relative 0.3;
- POST /schedules/amount, 10 devices with overlapping windows across the 3 days (7 kW each,
  a site limit of 22 kW that binds), --amount-requests timed.

Targets (from the issue): duration p50 <= 20 ms; amount (10 devices) p50 <= 200 ms.

    .venv/bin/python bench/schedules.py [--requests 200] [--amount-requests 60] [--warmup 10]
                                        [--database sqlite|postgresql|both]

Any non-200 answer stops the run.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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
from tariffconnect.db import Database
from tariffconnect.market import store

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
MARKET_SOURCE = "mrs_" + "cd" * 12
STEP = timedelta(minutes=15)
START = datetime(2026, 3, 27, tzinfo=UTC)
END = START + timedelta(days=3)
DEVICES = 10
SITE_KW = 22
TARGETS_MS = {"duration, split": 20.0, "duration, continuous": 20.0, "amount, 10 devices": 200.0}
SCHEDULE = [
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


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


WINDOW = {"start_time": stamp(START), "end_time": stamp(END)}


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    bodies: tuple[bytes, ...]  # sent in turn
    timed: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "_turn", itertools.cycle(self.bodies))

    def next_body(self) -> bytes:
        return bytes(next(self._turn))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Row:
    case: Case
    database: str
    body_bytes: int
    p50_ms: float
    p99_ms: float

    @property
    def target_ms(self) -> float | None:
        return TARGETS_MS.get(self.case.name)


# --- data ----------------------------------------------------------------------------------------


def market_rows() -> list[store.Row]:
    """15-minute prices from a day before the window to a day after: a daily sine plus noise,
    5 decimals, no two neighbours equal."""
    rng = random.Random(2026)
    rows: list[store.Row] = []
    moment, previous = START - timedelta(days=1), None
    while moment < END + timedelta(days=1):
        day_fraction = (moment.hour * 60 + moment.minute) / 1440
        value = 0.12 + 0.08 * math.sin(2 * math.pi * (day_fraction - 0.4)) + rng.gauss(0, 0.015)
        price = Decimal(f"{value:.5f}")
        if price == previous:
            price += Decimal("0.00001")
        rows.append(store.Row(moment, 15, price))
        previous, moment = price, moment + STEP
    return rows


def load_market_prices(database: Database) -> None:
    with database.transaction() as session:
        store.upsert(
            session,
            source_id=MARKET_SOURCE,
            rows=market_rows(),
            feed="IMPORT",
            now=datetime.now(UTC),
        )


def amount_body(device_ids: Sequence[str]) -> dict[str, object]:
    """10 devices, windows staggered by 6 hours over the 3 days, 7 kW, 20-40 kWh each."""
    devices = []
    for k, device_id in enumerate(device_ids):
        start = START + timedelta(hours=6 * k)
        end = min(start + timedelta(hours=18), END)
        devices.append(
            {
                "device_id": device_id,
                "start_time": stamp(start),
                "end_time": stamp(end),
                "max_power": 7,
                "energy": 20 + 2 * k,
            }
        )
    return {"max_power": SITE_KW, "devices": devices}


def cases(location_id: str, device_ids: Sequence[str], args: argparse.Namespace) -> list[Case]:
    def one(name: str, path: str, body: dict[str, object], timed: int) -> Case:
        return Case(name, path, (orjson.dumps(body),), timed)

    rounds = args.warmup + args.requests + 1
    shifted = tuple(
        orjson.dumps(
            {
                "start_time": stamp(START + timedelta(minutes=n)),
                "end_time": stamp(END + timedelta(minutes=n)),
            }
        )
        for n in range(1, rounds + 1)
    )
    duration = f"/schedules/duration/{location_id}"
    return [
        one("prices", f"/prices/{location_id}", WINDOW, args.requests),
        Case("prices, a new window each request", f"/prices/{location_id}", shifted, args.requests),
        one(
            "duration, split", duration, WINDOW | {"segment": "LOW", "duration": 240}, args.requests
        ),
        one(
            "duration, continuous",
            duration,
            WINDOW | {"segment": "LOW", "duration": 240, "continuous": True},
            args.requests,
        ),
        one(
            "limit",
            f"/schedules/limit/{location_id}",
            WINDOW | {"segment": "LOW", "relative": 0.3},
            args.requests,
        ),
        one(
            "amount, 10 devices",
            f"/schedules/amount/{location_id}",
            amount_body(device_ids),
            args.amount_requests,
        ),
    ]


# --- timing --------------------------------------------------------------------------------------


def request(client: httpx.Client, case: Case) -> httpx.Response:
    response = client.post(case.path, content=case.next_body(), headers=JSON)
    if response.status_code != 200:
        raise BenchError(f"{case.name} answered {response.status_code}: {response.text[:500]}")
    return response


def check(case: Case, body: dict[str, object]) -> None:
    """The answer is what the row claims to measure."""
    data = body["data"]
    assert isinstance(data, list)
    if case.name.startswith("prices") and len(data) < 288:
        raise BenchError(f"{case.name}: {len(data)} intervals, not 288 or more")
    if case.name.startswith("amount") and (
        len(data) != DEVICES or any(entry["error"] is not None for entry in data)
    ):
        raise BenchError(f"{case.name}: not every device got its energy")
    if not data:
        raise BenchError(f"{case.name}: an empty answer")


def measure(client: httpx.Client, case: Case, database: str, warmup: int) -> Row:
    first = request(client, case)
    check(case, orjson.loads(first.content))
    timings_ms(lambda: request(client, case), warmup)
    latencies = timings_ms(lambda: request(client, case), case.timed)
    row = Row(
        case=case,
        database=database,
        body_bytes=len(first.content),
        p50_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 99),
    )
    print(
        f"  {case.name} ({database}): p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms",
        file=sys.stderr,
    )
    return row


def bench(work: Path, database: str, args: argparse.Namespace) -> list[Row]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        local_db = Database(server.sqlalchemy_url, pool_size=1)
        try:
            with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
                location = post_json(client, "/locations", LOCATION, expect=201)["id"]
                tariff = {
                    "location_id": location,
                    "market_rates": True,
                    "market_source_id": MARKET_SOURCE,
                    "schedule": SCHEDULE,
                }
                post_json(client, "/tariffs", tariff, expect=201)
                load_market_prices(local_db)
                device_ids = [
                    post_json(
                        client,
                        "/devices",
                        {"reference_id": f"EV-{k}", "type": "EV_CHARGER"},
                        expect=201,
                    )["id"]
                    for k in range(DEVICES)
                ]
                return [
                    measure(client, case, database, args.warmup)
                    for case in cases(location, device_ids, args)
                ]
        finally:
            local_db.dispose()


# --- report ------------------------------------------------------------------------------------


def render_table(rows: Sequence[Row]) -> str:
    return latency_table(
        (r.case.name, r.database, r.body_bytes, r.p50_ms, r.p99_ms, r.target_ms) for r in rows
    )


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per row")
    parser.add_argument(
        "--amount-requests", type=int, default=60, help="timed requests of the amount row"
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    add_database_arguments(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> list[Row]:
        return [row for database in databases(args) for row in bench(work, database, args)]

    rows = in_work_folder(run)
    table = render_table(rows)
    details = [
        f"client: httpx, one keep-alive connection, {args.warmup} warm-up then {args.requests} "
        f"timed sequential requests per row ({args.amount_requests} for amount)",
        "server: `tariffconnect serve` (uvicorn, 1 worker, access log off, log level info)",
        f"window: {WINDOW['start_time']} to {WINDOW['end_time']}, 15-minute market prices",
    ]
    facts = "\n".join(
        machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    )
    print(f"{table}\n\n{facts}")
    write_markdown("schedules", ["# Schedules benchmark", table, "## Machine", facts])
    return 0 if all(r.target_ms is None or r.p50_ms <= r.target_ms for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
