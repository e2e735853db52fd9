"""Market prices: a year of ingest from the stand-in feeds, and the location.update fan-out.

Ingest, on SQLite (a file in a temporary folder) and/or a fresh PostgreSQL database: migrate,
serve every public feed from tests/market/public_feeds.py (one local HTTP server standing in
for Energy-Charts, ENTSO-E, Octopus and the ECB, in a thread of this process), point the
settings at it (with an ENTSO-E token) and run the production path, `fetching.fetch_many`, for
every source of `sources.all_sources()` over `--days` delivery days from 2025-01-01, with the
hooks installed as `tariffconnect market fetch` installs them (there are no locations, so they
announce nothing). Rows stored (checked against a COUNT), seconds and rows/s; then the same
days fetched again (nothing new, nothing revised: rows checked per second). The stand-in's own
cost is shown beside them: the time its handler spent answering during each pass, and a bare
httpx replay of the same requests.

Fan-out, on a fresh PostgreSQL database (SQLite too with --fanout-sqlite): one account with one
enabled webhook endpoint for `*`, and `--locations` locations each with one CONNECTED market
tariff on de-lu, bulk-inserted with SQLAlchemy Core (not measured). Measured, in one
transaction: `hooks.install()`, `store.upsert` of one new published day of de-lu prices (its
hooks record one `location.update` per location and queue a webhook delivery for each) and the
commit. COUNTs check that exactly N events (one per location) and N deliveries were written.

    .venv/bin/python bench/market_ingest.py [--database both] [--days 365] [--locations 100000]
    .venv/bin/python bench/market_ingest.py --quick          # 14 days, 2,000 locations
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, text

from common import (
    REPO,
    BenchError,
    add_database_arguments,
    database_url,
    databases,
    in_work_folder,
    machine_facts,
    new_parser,
    start_run,
    write_markdown,
)
from tariffconnect import hooks
from tariffconnect.accounts.models import Account
from tariffconnect.cli.database import open_database
from tariffconnect.config import Settings
from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.events.models import Event
from tariffconnect.locations.models import Location
from tariffconnect.market import fetching, ingest, sources, store
from tariffconnect.market.models import MarketPrice
from tariffconnect.market.sources import MarketSource
from tariffconnect.tariffs.models import CONNECTED, Tariff
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.models import ENABLED, WebhookDelivery, WebhookEndpoint
from tariffconnect.webhooks.schemas import ALL_EVENTS

sys.path.insert(0, str(REPO))  # the stand-in feeds live in the `tests` package

from tests.market.feeds.fixture_server import Answer, Asked, FixtureServer, Handler
from tests.market.public_feeds import public_feeds, settings_for

FIRST_DAY = date(2025, 1, 1)  # a whole calendar year from here, both DST changes included
DAYS, QUICK_DAYS = 365, 14
LOCATIONS, QUICK_LOCATIONS = 100_000, 2_000
FANOUT_SOURCE = "de-lu"
INSERT_CHUNK = 10_000  # rows per Core executemany while setting up the fan-out
# A market tariff's schedule: the market price with no surcharge, all day, every day.
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
                        "rate": [{"surcharge_fixed": 0.0, "surcharge_percentage": 0}],
                    }
                ],
            }
        ],
    }
]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> float:
    return os.getloadavg()[0]


# --- the stand-in's own cost -----------------------------------------------------------------


class TimedHandler:
    """The stand-in's handler, timed: the seconds it spent building answers, and how many."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.answers = 0

    def __call__(self, asked: Asked) -> Answer:
        started = time.perf_counter()
        answer = self._handler(asked)
        with self._lock:
            self.seconds += time.perf_counter() - started
            self.answers += 1
        return answer


def replay(server: FixtureServer, asked: Sequence[Asked]) -> float:
    """Seconds a bare httpx client takes to GET the same requests (bodies read, not parsed)."""
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        for each in asked:
            response = client.get(server.url + each.path, params=each.query)
            response.read()
            if response.status_code != 200:
                raise BenchError(f"replay of {each.path} answered {response.status_code}")
        return time.perf_counter() - started


# --- ingest ------------------------------------------------------------------------------------


@dataclass(slots=True)
class PerFeed:
    sources: int = 0
    rows: int = 0
    seconds: float = 0.0
    stand_in_seconds: float = 0.0


@dataclass(slots=True)
class Pass:
    """One `fetch_many` over every source."""

    database: str
    name: str
    stored: store.Stored
    seconds: float
    cpu_seconds: float  # this process: the ingest and the stand-in's thread
    requests: int
    stand_in_seconds: float  # the stand-in's handler, building answers
    replay_seconds: float | None = None  # a bare httpx client asking the same again
    per_feed: dict[str, PerFeed] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows the pass went through: stored by the first, checked by the second."""
        return self.stored.inserted + self.stored.revised + self.stored.unchanged


@dataclass(slots=True)
class SourceClock:
    """A `track` for `fetch_many`: the wall and stand-in seconds of each source's fetch, read
    between the source handed out and the next one asked for (nothing but the public
    parameter)."""

    timer: TimedHandler
    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __call__(self, items: Sequence[MarketSource], _description: str) -> Iterator[MarketSource]:
        for source in items:
            started, answering = time.perf_counter(), self.timer.seconds
            yield source
            wall = time.perf_counter() - started
            self.seconds[source.id] = (wall, self.timer.seconds - answering)


def expected_rows(plan: Iterable[tuple[MarketSource, date, date]]) -> int:
    """Intervals in the plan's local days at each source's published resolution."""
    total = 0
    for source, first, last in plan:
        start, end = ingest.window(source, first=first, last=last)
        total += int((end - start) / timedelta(minutes=source.resolution_minutes))
    return total


def fetch_all(
    settings: Settings,
    db: Database,
    plan: Sequence[tuple[MarketSource, date, date]],
    *,
    database: str,
    name: str,
    server: FixtureServer,
    timer: TimedHandler,
) -> Pass:
    clock = SourceClock(timer)
    asked_before, answering_before = len(server.asked), timer.seconds
    cpu_before, started = time.process_time(), time.perf_counter()
    outcomes = fetching.fetch_many(settings, db, plan, now=utcnow(), track=clock)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    problems = [
        f"{o.source.slug}: {'; '.join(o.problems) or 'days missing'}"
        for o in outcomes
        if o.problems or o.missing or o.feed is None
    ]
    if problems:
        raise BenchError(f"{name} ({database}): " + " | ".join(problems[:10]))
    per_feed: dict[str, PerFeed] = {}
    for outcome in outcomes:
        feed = per_feed.setdefault(outcome.feed or "-", PerFeed())
        wall, answering = clock.seconds[outcome.source.id]
        stored = outcome.stored
        feed.sources += 1
        feed.rows += stored.inserted + stored.revised + stored.unchanged
        feed.seconds += wall
        feed.stand_in_seconds += answering
    total = sum((o.stored for o in outcomes), store.Stored())
    return Pass(
        database,
        name,
        total,
        seconds,
        cpu,
        requests=len(server.asked) - asked_before,
        stand_in_seconds=timer.seconds - answering_before,
        per_feed=per_feed,
    )


def count_prices(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(MarketPrice)) or 0)


def measure_ingest(args: argparse.Namespace, work: Path, database: str) -> list[Pass]:
    last = FIRST_DAY + timedelta(days=args.days - 1)
    plan = [(source, FIRST_DAY, last) for source in sources.all_sources()]
    expected = expected_rows(plan)
    hooks.install()  # as `tariffconnect market fetch` does
    with database_url(database, args.postgres_url) as url:
        settings = Settings(
            data_dir=work / f"ingest-{database}",
            database_url=url,
            demo_account=False,
            worker_in_process=False,
        )
        with open_database(settings) as db, public_feeds() as server:
            timer = TimedHandler(server.handler)
            server.handler = timer
            feeds = settings_for(settings, server)
            say(f"ingest ({database}): {len(plan)} sources, {args.days} days from {FIRST_DAY}")
            first = fetch_all(
                feeds, db, plan, database=database, name="first", server=server, timer=timer
            )
            say(f"  first: {first.stored.inserted:,} rows in {first.seconds:.1f} s")
            asked = list(server.asked)
            stored = count_prices(db)
            if stored != first.stored.inserted or first.stored.revised or first.stored.unchanged:
                raise BenchError(
                    f"ingest ({database}): COUNT(*) {stored:,} but the fetch reported "
                    f"{first.stored}"
                )
            if stored != expected:
                raise BenchError(f"ingest ({database}): {stored:,} rows, expected {expected:,}")
            again = fetch_all(
                feeds, db, plan, database=database, name="again", server=server, timer=timer
            )
            say(f"  again: {again.stored.unchanged:,} rows checked in {again.seconds:.1f} s")
            if again.stored != store.Stored(unchanged=stored) or count_prices(db) != stored:
                raise BenchError(f"ingest ({database}): the second fetch stored {again.stored}")
            first.replay_seconds = again.replay_seconds = replay(server, asked)
            say(f"  bare replay of the {len(asked)} requests: {first.replay_seconds:.1f} s")
    return [first, again]


# --- fan-out -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FanOut:
    database: str
    locations: int
    setup_seconds: float
    upsert_seconds: float  # store.upsert, its hooks included
    seconds: float  # the whole transaction: install, upsert, commit
    events: int
    distinct_locations: int
    deliveries: int
    rss_before_mib: float | None
    peak_rss_mib: float | None  # VmHWM after resetting it just before the measure
    process_peak_mib: float  # ru_maxrss: the whole run so far


def market_schedule() -> list[dict[str, object]]:
    """MARKET_SCHEDULE as the tariffs service stores it (validated, dumped as JSON)."""
    entries = [ScheduleEntry.model_validate(entry) for entry in MARKET_SCHEDULE]
    validate_schedule(entries, market_rates=True)
    return [entry.model_dump(mode="json") for entry in entries]


def populate(db: Database, *, locations: int, source: MarketSource) -> None:
    """One account, one endpoint for every event, `locations` locations following `source`."""
    now = utcnow()
    account_id = new_id("acct")
    schedule = market_schedule()
    secret = signing.seal(signing.new_endpoint_secret(), secret=secrets.token_bytes(32))
    with db.engine.begin() as connection:
        connection.execute(
            insert(Account), [{"id": account_id, "name": "Bench", "time_created": now}]
        )
        endpoint = {
            "id": new_id("we"),
            "account_id": account_id,
            "live_mode": False,
            "time_created": now,
            "time_updated": now,
            "url": "https://example.com/webhooks",
            "description": None,
            "enabled_events": [ALL_EVENTS],
            "status": ENABLED,
            "disabled_reason": None,
            "secret": secret,
        }
        connection.execute(insert(WebhookEndpoint), [endpoint])
        for offset in range(0, locations, INSERT_CHUNK):
            count = min(INSERT_CHUNK, locations - offset)
            location_ids = [new_id("loc") for _ in range(count)]
            owned = {"account_id": account_id, "live_mode": False, "time_created": now}
            connection.execute(
                insert(Location),
                [
                    {
                        **owned,
                        "id": location_id,
                        "reference_id": None,
                        "customer_id": None,
                        "address_line1": None,
                        "address_line2": None,
                        "city": "Köln",
                        "state": None,
                        "post_code": None,
                        "country_code": "DE",
                        "timezone": "Europe/Berlin",
                        "currency_code": "EUR",
                    }
                    for location_id in location_ids
                ],
            )
            connection.execute(
                insert(Tariff),
                [
                    {
                        **owned,
                        "id": new_id("trf"),
                        "time_updated": now,
                        "location_id": location_id,
                        "tariff_direction": "IMPORT",
                        "tariff_type": "COMMODITY",
                        "connection_type": "MARKET",
                        "status": CONNECTED,
                        "display_name": None,
                        "provider_id": None,
                        "market_rates": True,
                        "market_source_id": source.id,
                        "timezone": "Europe/Berlin",
                        "contract_start_date": now,
                        "contract_end_date": None,
                        "schedule": schedule,
                        "standing_charge": None,
                    }
                    for location_id in location_ids
                ],
            )
        connection.execute(text("ANALYZE"))  # statistics, as autovacuum would have them


def one_day(source: MarketSource, day: date) -> list[store.Row]:
    """A published day of `source` at its resolution, no two neighbouring prices equal."""
    start, end = ingest.window(source, first=day, last=day)
    step = timedelta(minutes=source.resolution_minutes)
    count = int((end - start) / step)
    return [
        store.Row(start + n * step, source.resolution_minutes, Decimal(n + 50) / 1000)
        for n in range(count)
    ]


def _status_mib(name: str) -> float | None:
    """A field of /proc/self/status in MiB (VmRSS, VmHWM), or None where there is none."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: `5` into clear_refs); False if it cannot be."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_fanout(args: argparse.Namespace, work: Path, database: str) -> FanOut:
    source = sources.find(FANOUT_SOURCE)
    if source is None:
        raise BenchError(f"no market source {FANOUT_SOURCE}")
    with database_url(database, args.postgres_url) as url:
        settings = Settings(
            data_dir=work / f"fanout-{database}",
            database_url=url,
            demo_account=False,
            worker_in_process=False,
        )
        with open_database(settings) as db:
            say(f"fan-out ({database}): {args.locations:,} locations on {source.slug}")
            started = time.perf_counter()
            populate(db, locations=args.locations, source=source)
            setup = time.perf_counter() - started
            say(f"  set up in {setup:.1f} s")
            rows = one_day(source, FIRST_DAY)
            rss_before = _status_mib("VmRSS")
            reset = reset_peak_rss()
            started = time.perf_counter()
            with db.transaction() as session:
                hooks.install()
                stored = store.upsert(
                    session, source_id=source.id, rows=rows, feed="ENTSOE", now=utcnow()
                )
                upserted = time.perf_counter() - started
            seconds = time.perf_counter() - started
            peak = _status_mib("VmHWM") if reset else None
            say(f"  {seconds:.1f} s (upsert and its hooks {upserted:.1f} s)")
            if stored != store.Stored(inserted=len(rows)):
                raise BenchError(f"fan-out ({database}): the upsert stored {stored}")
            with db.transaction(write=False) as session:
                updates = select(Event.object_id).where(Event.type == "location.update")
                events = session.scalar(select(func.count()).select_from(updates.subquery()))
                distinct = session.scalar(
                    select(func.count()).select_from(updates.distinct().subquery())
                )
                deliveries = session.scalar(select(func.count()).select_from(WebhookDelivery))
    result = FanOut(
        database,
        args.locations,
        setup,
        upserted,
        seconds,
        int(events or 0),
        int(distinct or 0),
        int(deliveries or 0),
        rss_before,
        peak,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    )
    wanted = args.locations
    if (result.events, result.distinct_locations, result.deliveries) != (wanted,) * 3:
        raise BenchError(
            f"fan-out ({database}): {result.events} location.update events for "
            f"{result.distinct_locations} locations and {result.deliveries} deliveries, "
            f"expected {wanted} of each"
        )
    return result


# --- the report ----------------------------------------------------------------------------------


def _rate(rows: float, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


def ingest_table(passes: Sequence[Pass]) -> str:
    lines = [
        "| database | pass | requests | rows | new | revised | unchanged | seconds | rows/s "
        "| CPU s (this process) | stand-in answering s | bare replay s "
        "| rows/s less the replay |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for each in passes:
        replayed = each.replay_seconds
        ours = _rate(each.rows, each.seconds - replayed) if replayed is not None else "-"
        lines.append(
            f"| {each.database} | {each.name} | {each.requests} | {each.rows:,} "
            f"| {each.stored.inserted:,} | {each.stored.revised:,} | {each.stored.unchanged:,} "
            f"| {each.seconds:.1f} | {_rate(each.rows, each.seconds)} | {each.cpu_seconds:.1f} "
            f"| {each.stand_in_seconds:.1f} "
            f"| {'-' if replayed is None else f'{replayed:.1f}'} | {ours} |"
        )
    return "\n".join(lines)


def per_feed_table(passes: Sequence[Pass]) -> str:
    lines = [
        "| database | pass | first feed | sources | rows | seconds | stand-in answering s "
        "| rows/s less the answering |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for each in passes:
        for name, feed in sorted(each.per_feed.items()):
            lines.append(
                f"| {each.database} | {each.name} | {name} | {feed.sources} | {feed.rows:,} "
                f"| {feed.seconds:.1f} | {feed.stand_in_seconds:.1f} "
                f"| {_rate(feed.rows, feed.seconds - feed.stand_in_seconds)} |"
            )
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def fanout_table(results: Sequence[FanOut]) -> str:
    lines = [
        "| database | locations | events | deliveries | seconds | events/s "
        "| of which upsert + hooks s | set-up s (not measured) | RSS before MiB "
        "| peak RSS during MiB | process peak MiB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for each in results:
        lines.append(
            f"| {each.database} | {each.locations:,} | {each.events:,} | {each.deliveries:,} "
            f"| {each.seconds:.2f} | {_rate(each.events, each.seconds)} "
            f"| {each.upsert_seconds:.2f} | {each.setup_seconds:.1f} "
            f"| {_mib(each.rss_before_mib)} | {_mib(each.peak_rss_mib)} "
            f"| {_mib(each.process_peak_mib)} |"
        )
    return "\n".join(lines)


def fanout_databases(args: argparse.Namespace) -> list[str]:
    chosen = databases(args)
    return [d for d in chosen if d == "postgresql" or args.fanout_sqlite]


def run(args: argparse.Namespace, work: Path) -> tuple[list[str], list[str]]:
    sections: list[str] = []
    loads: list[str] = []
    if args.only in (None, "ingest"):
        passes: list[Pass] = []
        for database in databases(args):
            passes += measure_ingest(args, work, database)
            loads.append(f"after ingest on {database}: {load_average():.2f}")
        last = FIRST_DAY + timedelta(days=args.days - 1)
        sections += [
            "## Ingest",
            f"All {len(sources.all_sources())} sources, {args.days} delivery days "
            f"({FIRST_DAY} to {last}), through `fetching.fetch_many` from the stand-in feeds "
            "(tests/market/public_feeds.py, served in a thread of this process). The hooks are "
            "installed, as `tariffconnect market fetch` installs them; no location follows a "
            "source, so they record nothing. First pass: every row new (rows = COUNT(*) of "
            "market_prices, checked). Second pass: the same days again, all unchanged (rows "
            "checked). *Stand-in answering*: the time the stand-in's handler spent building "
            "its answers during the pass (it shares this process and its GIL); *bare replay*: "
            "an httpx client asking the stand-in the first pass's requests again, bodies read, "
            "nothing parsed; *rows/s less the replay* is an estimate of the ingest's own rate.",
            ingest_table(passes),
            "Per first feed (a source's wall time is from handing it out to asking for the "
            "next one, through `fetch_many`'s `track`):",
            per_feed_table(passes),
        ]
    fanning = fanout_databases(args)
    if args.only in (None, "fanout") and fanning:
        results = []
        for database in fanning:
            results.append(measure_fanout(args, work, database))
            loads.append(f"after the fan-out on {database}: {load_average():.2f}")
        sections += [
            "## location.update fan-out",
            f"{args.locations:,} locations, one account, each location with one CONNECTED "
            f"market tariff on {FANOUT_SOURCE}, and one enabled webhook endpoint for `*` "
            "(bulk-inserted with SQLAlchemy Core, then ANALYZE: the set-up, not measured). "
            "Measured, in one transaction: `hooks.install()`, `store.upsert` of one new "
            "published day (its hooks: one `location.update` per location, a delivery queued "
            "for each) and the commit. Events (one per location, COUNT DISTINCT checked) and "
            "deliveries counted afterwards. *Peak RSS during*: VmHWM, reset just before the "
            "measure (memory an earlier measure of this run freed may be reused without showing: "
            "`--only fanout` shows the fan-out alone); *process peak*: ru_maxrss of the whole "
            "run so far.",
            fanout_table(results),
        ]
    elif args.only in (None, "fanout"):
        sections += ["## location.update fan-out", "Not run: PostgreSQL not chosen."]
    return sections, loads


def main() -> None:
    parser = new_parser(__doc__)
    add_database_arguments(parser)
    parser.add_argument("--days", type=int, help=f"delivery days to ingest (default {DAYS})")
    parser.add_argument(
        "--locations", type=int, help=f"locations for the fan-out (default {LOCATIONS:,})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {QUICK_DAYS} days, {QUICK_LOCATIONS:,} locations",
    )
    parser.add_argument(
        "--fanout-sqlite", action="store_true", help="run the fan-out on SQLite too"
    )
    parser.add_argument("--only", choices=("ingest", "fanout"), help="one measure only")
    args = parser.parse_args()
    args.days = args.days or (QUICK_DAYS if args.quick else DAYS)
    args.locations = args.locations or (QUICK_LOCATIONS if args.quick else LOCATIONS)
    if args.days < 1 or args.locations < 1:
        parser.error("--days and --locations must be at least 1")
    load_before = start_run(needs_wrk=False)
    sections, loads = in_work_folder(lambda work: run(args, work))
    facts = machine_facts(
        args,
        load_before=load_before,
        databases=databases(args),
        details=[f"load average (1 min) {', '.join(loads)}"] if loads else [],
    )
    sections = ["# Market prices: ingest and fan-out", *sections, "## Machine", "\n".join(facts)]
    print("\n\n".join(sections))
    write_markdown("market_ingest", sections)


if __name__ == "__main__":
    main()
