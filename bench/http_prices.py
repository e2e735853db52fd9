"""Prices benchmark: POST /prices for 1 and 90 days, against orjson serialising the same body.

`tariffconnect serve` on a fresh data folder, on SQLite and/or a fresh PostgreSQL database. One
account (made with the CLI) gets two locations in London: one with a 4-period time-of-use tariff
(fixed rates and a Holidays rule), one with a 15-minute market tariff (surcharges), whose market
prices -- 15-minute values from 2026-02-28 to 2026-06-01, a daily sine plus noise, no two
neighbours equal -- are stored with `store.upsert` (the service's one way to write prices) on
the server's own database. For each tariff and window (2026-03-01 for 1 day, 2026-03-01 to
2026-05-30 for 90 days) one httpx client on a keep-alive connection sends --warmup requests,
then --requests timed sequential ones; p50 and p99 are those round trips. One more row sends
the 90-day market window one minute later on every request, so the series cache never helps
(only the cache of published days), and one more the same 90-day market window as the repeated
poll with the tariff renamed (PATCH /tariffs/{id}, untimed) before each request: the first
request after a tariff change (the issue's target: within 2x of the budget). Next to them:
`orjson.dumps` of the same response (parsed once with orjson.loads), best and median of
--dumps-rounds, and, timed in this process, the price engine (`price_intervals`) and the whole
`service.price_body` call on the same data (the series cache emptied first for the rows it
would not answer).

Target (from the issue): the 90-day 15-minute response (8,640 intervals) within 3x its
serialisation time plus 5 ms, i.e. p50 <= 3 * dumps median + 5 ms.

    .venv/bin/python bench/http_prices.py [--requests 200] [--warmup 20]
                                          [--database sqlite|postgresql|both]
                                          [--profile-seconds 6]

When the target is missed, the server is sampled with py-spy (`record -f raw --nonblocking`) for
--profile-seconds while the 90-day market request is sent again; the raw stacks go to bench/out/
and the hottest functions are printed. 0 turns profiling off. Any non-200 answer, or an
interval count other than expected, stops the run.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

from common import (
    JSON,
    OUT_DIR,
    TOP,
    BenchError,
    Server,
    add_database_arguments,
    auth_headers,
    cpu_seconds,
    create_account,
    databases,
    in_work_folder,
    machine_facts,
    new_parser,
    package_of,
    percentile,
    post_json,
    py_spy_record,
    sample_count,
    serve_tariffconnect,
    shares,
    start_run,
    tariffconnect_frames,
    timings_ms,
    write_markdown,
)
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.market import store
from tariffconnect.prices import service
from tariffconnect.prices.cache import SERIES
from tariffconnect.prices.calendar import public_holidays
from tariffconnect.prices.engine import MarketPrices, price_intervals
from tariffconnect.prices.schemas import PriceWindow
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule

LOCATION = {"postal_address": {"city": "London", "country_code": "GB"}}
MARKET_SOURCE = "mrs_" + "ab" * 12
STEP = timedelta(minutes=15)
# Market prices cover the 90-day window with a day to spare on each side.
MARKET_FROM = datetime(2026, 2, 28, tzinfo=UTC)
MARKET_TO = datetime(2026, 6, 1, tzinfo=UTC)
START = datetime(2026, 3, 1, tzinfo=UTC)
WINDOWS = {"1 day": timedelta(days=1), "90 days": timedelta(days=90)}
TOU, MARKET = "4-period TOU", "15-min market"
# A 15-minute market tariff gives one interval per quarter hour (no two neighbours are equal).
EXPECTED_MARKET = {"1 day": 96, "90 days": 8_640}
TARGET_FACTOR, TARGET_EXTRA_MS = 3, 5.0
IN_PROCESS_ROUNDS = 20


def _hours(window: str, rate: dict[str, float]) -> dict[str, Any]:
    start, end = window.split("-")
    return {"valid_from": f"{start}:00", "valid_to": f"{end}:00", "rate": [rate]}


TOU_SCHEDULE = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    _hours("00:00-07:00", {"fixed": 0.08}),
                    _hours("07:00-16:00", {"fixed": 0.22}),
                    _hours("16:00-19:00", {"fixed": 0.38}),
                    _hours("19:00-00:00", {"fixed": 0.22}),
                ],
            },
            {"days": ["Holidays"], "hours": [_hours("00:00-00:00", {"fixed": 0.12})]},
        ],
    }
]
SURCHARGE = {"surcharge_fixed": 0.02, "surcharge_percentage": 0.05}
MARKET_SCHEDULE = [
    {
        "months": ["All"],
        "days_and_hours": [{"days": ["All"], "hours": [_hours("00:00-00:00", SURCHARGE)]}],
    }
]


@dataclass(frozen=True)
class Case:
    tariff: str
    window: str
    location_id: str
    bodies: tuple[bytes, ...]  # POST /prices request bodies, sent in turn
    fresh: bool = False  # each request a window not asked for before (so never cached)
    # When set, the tariff (its id) is renamed by PATCH /tariffs/{id} before each request, and
    # only the POST /prices after it is timed: the first request after a tariff change.
    changed_tariff: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_turn", itertools.cycle(self.bodies))

    def next_body(self) -> bytes:
        return bytes(next(self._turn))  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        if self.changed_tariff is not None:
            return f"{self.window}, first request after a tariff change"
        return f"{self.window}, a new window each request" if self.fresh else self.window

    @property
    def end(self) -> datetime:
        return START + WINDOWS[self.window]


@dataclass(frozen=True, slots=True)
class Row:
    case: Case
    database: str
    intervals: int
    body_bytes: int
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float  # the server's CPU per timed request, mean
    dumps_best_ms: float
    dumps_median_ms: float
    engine_ms: float  # price_intervals, in this process, median
    service_ms: float  # service.price (SQL, engine, dicts), in this process, median

    @property
    def budget_ms(self) -> float:
        return TARGET_FACTOR * self.dumps_median_ms + TARGET_EXTRA_MS

    @property
    def is_target(self) -> bool:
        return (
            self.case.tariff == MARKET
            and self.case.window == "90 days"
            and not self.case.fresh
            and self.case.changed_tariff is None
        )

    @property
    def factor(self) -> int:
        """The issue's allowance over the budget: 2x for the first request after a change."""
        return 2 if self.case.changed_tariff is not None else 1


# --- data ----------------------------------------------------------------------------------------


def make_tariff(client: httpx.Client, **fields: Any) -> tuple[str, str, str]:
    """A fresh location with one tariff: (location id, its time zone, the tariff's id)."""
    location = post_json(client, "/locations", LOCATION, expect=201)
    tariff = post_json(client, "/tariffs", {"location_id": location["id"], **fields}, expect=201)
    return location["id"], location["timezone"], tariff["id"]


def market_series() -> list[tuple[datetime, datetime, Decimal]]:
    """15-minute prices: a daily sine (low at night, high in the evening) plus noise.

    5 decimals; a price equal to the one before is nudged by 0.00001, so that no two neighbours
    are equal and every quarter hour is its own interval.
    """
    rng = random.Random(2026)
    rows: list[tuple[datetime, datetime, Decimal]] = []
    moment = MARKET_FROM
    previous = None
    while moment < MARKET_TO:
        day_fraction = (moment.hour * 60 + moment.minute) / 1440
        value = 0.12 + 0.08 * math.sin(2 * math.pi * (day_fraction - 0.4)) + rng.gauss(0, 0.015)
        price = Decimal(f"{value:.5f}")
        if price == previous:
            price += Decimal("0.00001")
        rows.append((moment, moment + STEP, price))
        previous = price
        moment += STEP
    return rows


def load_market_prices(
    database: Database, rows: Sequence[tuple[datetime, datetime, Decimal]]
) -> None:
    """Stored the service's one way (`store.upsert`, which versions the source)."""
    minutes = int(STEP.total_seconds() // 60)
    values = [store.Row(start, minutes, price) for start, _end, price in rows]
    with database.transaction() as session:
        store.upsert(
            session, source_id=MARKET_SOURCE, rows=values, feed="IMPORT", now=datetime.now(UTC)
        )


# --- timing --------------------------------------------------------------------------------------


def request(client: httpx.Client, case: Case) -> httpx.Response:
    response = client.post("/prices", content=case.next_body(), headers=JSON)
    if response.status_code != 200:
        raise BenchError(
            f"POST /prices ({case.tariff}, {case.name}) answered {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response


_renames = itertools.count(1)


def rename(client: httpx.Client, tariff_id: str) -> None:
    """A change to the tariff that leaves its prices alone (a new display name): its series is
    priced anew on the next request, from the market days already prepared."""
    name = f"Market tariff {next(_renames)}"
    response = client.patch(
        f"/tariffs/{tariff_id}", content=orjson.dumps({"display_name": name}), headers=JSON
    )
    if response.status_code != 200:
        raise BenchError(f"PATCH /tariffs answered {response.status_code}: {response.text[:500]}")


def timed_requests(
    client: httpx.Client, case: Case, rounds: int, server_pid: int
) -> tuple[list[float], float]:
    """Wall-clock ms of `rounds` requests of `case`, and the server's CPU ms per request (its
    mean: the kernel counts in clock ticks); a tariff change before each is not timed."""
    took = []
    cpu = 0.0
    for _ in range(rounds):
        if case.changed_tariff is not None:
            rename(client, case.changed_tariff)
        cpu -= cpu_seconds([server_pid])
        began = time.perf_counter()
        request(client, case)
        took.append((time.perf_counter() - began) * 1e3)
        cpu += cpu_seconds([server_pid])
    return took, cpu * 1e3 / max(rounds, 1)


def check_count(case: Case, intervals: int) -> None:
    # A window shifted off the quarter hours starts and ends inside an interval: one more.
    extra = 1 if case.fresh else 0
    expected = EXPECTED_MARKET[case.window] + extra if case.tariff == MARKET else None
    if expected is not None and intervals != expected:
        raise BenchError(f"{case.tariff}, {case.name}: {intervals} intervals, not {expected}")
    if intervals == 0:
        raise BenchError(f"{case.tariff}, {case.name}: no intervals")


@dataclass(frozen=True, slots=True)
class InProcess:
    """What it takes to call the engine and the service here, on the server's data."""

    database: Database
    scope: Scope
    zone: ZoneInfo
    market: MarketPrices

    def engine_call(self, case: Case) -> Callable[[], object]:
        is_market = case.tariff == MARKET
        schedule = MARKET_SCHEDULE if is_market else TOU_SCHEDULE
        entries = [ScheduleEntry.model_validate(entry) for entry in schedule]
        compiled = validate_schedule(entries, market_rates=is_market)
        inputs = [(compiled, self.market if is_market else None)]
        utc_end = case.end
        years = range(START.year - 1, utc_end.year + 2)
        holidays = public_holidays("GB", None, years)

        def call() -> object:
            return price_intervals(
                inputs, start=START, end=utc_end, zone=self.zone, holidays=holidays, decimals=5
            )

        return call

    def service_call(self, case: Case) -> Callable[[], object]:
        window = PriceWindow(start_time=START, end_time=case.end)
        missed = case.fresh or case.changed_tariff is not None

        def call() -> object:
            if missed:
                SERIES.clear()  # as after a change: the series priced anew, the days prepared
            with self.database.transaction(write=False) as session:
                return service.price_body(
                    session,
                    scope=self.scope,
                    location_id=case.location_id,
                    device_id=None,
                    window=window,
                )

        return call


def median_ms(call: Callable[[], object]) -> float:
    call()  # warm-up: caches (compiled schedule, zone offsets), pooled connection
    return statistics.median(timings_ms(call, IN_PROCESS_ROUNDS))


def measure(
    client: httpx.Client,
    case: Case,
    database: str,
    local: InProcess,
    args: argparse.Namespace,
    server_pid: int,
) -> Row:
    first = request(client, case)
    parsed = orjson.loads(first.content)
    intervals = len(parsed["data"])
    check_count(case, intervals)
    timed_requests(client, case, args.warmup, server_pid)
    latencies, server_cpu = timed_requests(client, case, args.requests, server_pid)
    dumps = timings_ms(lambda: orjson.dumps(parsed), args.dumps_rounds)
    row = Row(
        case=case,
        database=database,
        intervals=intervals,
        body_bytes=len(first.content),
        p50_ms=statistics.median(latencies),
        p99_ms=percentile(latencies, 99),
        server_cpu_ms=server_cpu,
        dumps_best_ms=min(dumps),
        dumps_median_ms=statistics.median(dumps),
        engine_ms=median_ms(local.engine_call(case)),
        service_ms=median_ms(local.service_call(case)),
    )
    print(
        f"  {case.tariff}, {case.name} ({database}): p50 {row.p50_ms:.2f} ms, "
        f"p99 {row.p99_ms:.2f} ms, server CPU {row.server_cpu_ms:.2f} ms, "
        f"dumps {row.dumps_median_ms:.3f} ms",
        file=sys.stderr,
    )
    return row


# --- profile ---------------------------------------------------------------------------------


def profile(server: Server, case: Case, bearer: dict[str, str], seconds: int, path: Path) -> Path:
    """py-spy samples the server while one client sends `case` back to back."""
    done = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
            while not done.is_set():
                request(client, case)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    time.sleep(0.5)  # requests in flight before the first sample
    try:
        py_spy_record(server.pid, seconds, path)
    finally:
        done.set()
        loader.join()
    print(f"  profiled {case.tariff}, {case.window} into {path}", file=sys.stderr)
    return path


# Where a sample falls in POST /prices: the innermost of these functions on its stack.
STAGES = (
    ("_series (tariffconnect/prices/service.py)", "interval dicts and times (service._series)"),
    ("price_intervals (tariffconnect/prices/engine.py)", "engine (price_intervals)"),
    ("_market (tariffconnect/prices/service.py)", "market prices: cache, SQL, MarketPrices"),
    ("_data (tariffconnect/prices/service.py)", "the series: cache and orjson.dumps (_data)"),
    ("price_body (tariffconnect/prices/service.py)", "rest of the service (location, tariffs)"),
)


def stage_of(frames: Sequence[str]) -> str:
    for frame in reversed(frames):
        for function, stage in STAGES:
            if frame == function:
                return stage
    return "outside service.price (HTTP, auth, transaction, event loop)"


def render_profile(path: Path, database: str) -> str:
    """Where the samples (all non-idle threads) fell: package, function, TariffConnect code."""
    samples = sample_count(path)
    breakdowns: list[tuple[str, Callable[[list[str]], Iterable[str]]]] = [
        ("own time by package", lambda frames: [package_of(frames[-1])]),
        ("own time by function", lambda frames: [frames[-1]]),
        ("inclusive time of TariffConnect functions", tariffconnect_frames),
        ("stage of POST /prices", lambda frames: [stage_of(frames)]),
    ]
    lines = [f"#### {database}: {path.name}", "", f"{samples} samples"]
    for title, key in breakdowns:
        lines += ["", f"{title}:", ""]
        lines += [f"- {share:6.1%}  {name}" for name, share in shares(path, key, top=TOP)]
    return "\n".join(lines)


# --- the benchmark -----------------------------------------------------------------------------


def bench(work: Path, database: str, args: argparse.Namespace) -> tuple[list[Row], str | None]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    series = market_series()
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        account = create_account(server.env)
        _basic, bearer = auth_headers(server.base_url, account)
        local_db = Database(server.sqlalchemy_url, pool_size=1)
        try:
            with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
                tou, zone, _ = make_tariff(client, schedule=TOU_SCHEDULE)
                market, _, market_tariff = make_tariff(
                    client,
                    market_rates=True,
                    market_source_id=MARKET_SOURCE,
                    schedule=MARKET_SCHEDULE,
                )
                load_market_prices(local_db, series)
                local = InProcess(
                    database=local_db,
                    scope=Scope(account_id=account["account_id"], live_mode=False),
                    zone=ZoneInfo(zone),
                    market=MarketPrices(series),
                )
                cases = [
                    Case(name, window, location, (price_body(location, window),))
                    for name, location in ((TOU, tou), (MARKET, market))
                    for window in WINDOWS
                ]
                # Each request one minute later than the one before: what the caches do not
                # help with beyond the published days (an app asking "from now").
                rounds = args.warmup + args.requests + 1
                shifted = tuple(
                    price_body(market, "90 days", shift=n) for n in range(1, rounds + 1)
                )
                cases.append(Case(MARKET, "90 days", market, shifted, fresh=True))
                # The same window as the repeated poll, its tariff renamed before each request.
                target_body = (price_body(market, "90 days"),)
                cases.append(
                    Case(MARKET, "90 days", market, target_body, changed_tariff=market_tariff)
                )
                rows = [measure(client, case, database, local, args, server.pid) for case in cases]
        finally:
            local_db.dispose()
        target = next(row for row in rows if row.is_target)
        report = None
        if args.profile_seconds > 0 and target.p50_ms > target.budget_ms:
            path = OUT_DIR / f"http_prices-{database}-{os.getpid()}.folded"
            profile(server, target.case, bearer, args.profile_seconds, path)
            report = render_profile(path, database)
            print(report, file=sys.stderr)
        return rows, report


def price_body(location_id: str, window: str, *, shift: int = 0) -> bytes:
    """The request for `window` from START, `shift` minutes later."""
    start = START + timedelta(minutes=shift)
    end = start + WINDOWS[window]
    return orjson.dumps(
        {
            "location_id": location_id,
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


# --- report ------------------------------------------------------------------------------------


def render_table(rows: Sequence[Row]) -> str:
    lines = [
        "| tariff | window | database | intervals | body KB | p50 ms | p99 ms | server CPU ms "
        "| orjson.dumps best ms | dumps median ms | 3 x dumps + 5 ms | p50 within "
        "| engine ms | service.price ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        within = "yes" if r.p50_ms <= r.budget_ms else "no"
        if r.factor != 1:
            within += (
                f" (within {r.factor}x: {'yes' if r.p50_ms <= r.factor * r.budget_ms else 'no'})"
            )
        lines.append(
            f"| {r.case.tariff} | {r.case.name} | {r.database} | {r.intervals:,} "
            f"| {r.body_bytes / 1024:.1f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {r.server_cpu_ms:.2f} "
            f"| {r.dumps_best_ms:.3f} | {r.dumps_median_ms:.3f} | {r.budget_ms:.2f} | {within} "
            f"| {r.engine_ms:.2f} | {r.service_ms:.2f} |"
        )
    return "\n".join(lines)


def render_verdict(rows: Sequence[Row]) -> str:
    lines = []
    for r in rows:
        if r.is_target or r.factor != 1:
            allowed = r.factor * r.budget_ms
            verdict = "met" if r.p50_ms <= allowed else "NOT met"
            times = f"{r.factor} x " if r.factor != 1 else ""
            lines.append(
                f"- {r.case.tariff}, {r.case.name} on {r.database}: p50 {r.p50_ms:.2f} ms vs "
                f"{times}({TARGET_FACTOR} x {r.dumps_median_ms:.3f} + {TARGET_EXTRA_MS:g}) = "
                f"{allowed:.2f} ms ({r.p50_ms / r.budget_ms:.1f}x the budget): {verdict}"
            )
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--dumps-rounds", type=int, default=200, help="orjson.dumps timings")
    add_database_arguments(parser)
    parser.add_argument(
        "--profile-seconds", type=int, default=6, help="py-spy when the target is missed; 0: off"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> tuple[list[Row], list[str]]:
        rows: list[Row] = []
        profiles: list[str] = []
        for database in databases(args):
            measured, report = bench(work, database, args)
            rows += measured
            profiles += [report] if report else []
        return rows, profiles

    rows, profiles = in_work_folder(run)
    table, verdict = render_table(rows), render_verdict(rows)
    details = [
        f"client: httpx, one keep-alive connection, {args.warmup} warm-up then "
        f"{args.requests} timed sequential requests per row; orjson.dumps {args.dumps_rounds} "
        f"times; engine and service.price in-process, median of {IN_PROCESS_ROUNDS}",
        "server: `tariffconnect serve` (uvicorn, 1 worker, access log off, log level info)",
    ]
    facts = "\n".join(
        machine_facts(args, load_before=load_before, databases=databases(args), details=details)
    )
    print(f"{table}\n\n{verdict}\n\n{facts}")
    sections = ["# Prices benchmark", table, verdict, "## Machine", facts]
    if profiles:
        sections += ["## Profiles (py-spy, 90-day market request)", *profiles]
    write_markdown("http_prices", sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
