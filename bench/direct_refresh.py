"""DIRECT refresh throughput on PostgreSQL against a local auth module: tariffs refreshed per
second by the `integrations.refresh` task (target >= 200/s).

A fresh database gets N locations, each with a DIRECT connection to one provider bound to the
tests' external module (tests/integrations/module_server.py, its own process on this
machine). The task then runs in this process, as the worker runs it: a first pass (every
answer is a new tariff: tariff.create and location.update events) and a steady pass a day
later (the same answers: nothing written but the connections' times).

    .venv/bin/python bench/direct_refresh.py --connections 2000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx

from common import (
    REPO,
    add_database_arguments,
    free_port,
    in_work_folder,
    machine_facts,
    new_parser,
    postgres_database,
    start_run,
    write_markdown,
)
from tariffconnect import hooks
from tariffconnect.accounts import service as accounts
from tariffconnect.config import Settings
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.integrations import bindings, credentials, pull, tasks
from tariffconnect.jobs import TaskContext
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks.urls import IPNetwork, parse_allowed_networks

PROVIDER_ID = "prv_6eb04b20869ef591375f1f8b"  # Octopus Energy (DIRECT in the catalogue)
SECRET = "the direct refresh benchmark's secret key"


# The tests' module, answering on HTTP/1.1 kept-alive connections as a module on a real web
# framework does (its handler sends Content-Length on every answer); --http10 keeps the
# stdlib's default, a connection per request. TCP_NODELAY as web servers set it: the handler
# writes headers and body apart, and Nagle with the client's delayed ACK would hold the body
# 40 ms on a kept-alive connection.
KEEP_ALIVE_MODULE = (
    "import sys; from tests.integrations import module_server as m; "
    "m.Module.protocol_version = 'HTTP/1.1'; m.Module.disable_nagle_algorithm = True; "
    "sys.argv[0] = 'module_server'; m.main()"
)


def module_process(
    work: Path, *, keep_alive: bool, connect_api: str = "http://127.0.0.1:9"
) -> tuple[subprocess.Popen[bytes], str]:
    """The tests' external module on a free port, once it answers; (process, base URL)."""
    port = free_port()
    log = (work / "module.log").open("wb")
    start = ["-c", KEEP_ALIVE_MODULE] if keep_alive else ["-m", "tests.integrations.module_server"]
    process = subprocess.Popen(
        [
            sys.executable,
            *start,
            "--port",
            str(port),
            "--connect-api",
            connect_api,  # by default nowhere: the pull never makes the module call Connect
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/health", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.terminate()
    raise SystemExit("the module server did not start")


def populate(runtime: Runtime, count: int, module_url: str) -> None:
    """An account with `count` locations, each connected DIRECT to the bound provider."""
    now = utcnow()
    with runtime.db.transaction() as session:
        account_id = accounts.create(session, name="Bench").id
        bindings.bind(
            session,
            provider_id=PROVIDER_ID,
            url=module_url,
            now=now,
            allow=_allow(runtime),
        )
    scope = Scope(account_id=account_id, live_mode=False)
    for start in range(0, count, 500):
        with runtime.db.transaction() as session:
            for _ in range(min(500, count - start)):
                location = Location(
                    id=new_id("loc"),
                    account_id=account_id,
                    live_mode=False,
                    time_created=now,
                    city="London",
                    country_code="GB",
                    timezone="Europe/London",
                    currency_code="GBP",
                )
                session.add(location)
                session.flush()
                amd_id = credentials.store(
                    session,
                    secret=runtime.settings.signing_secret,
                    scope=scope,
                    connect_session_id=None,
                    location_id=location.id,
                    provider_id=PROVIDER_ID,
                    direction="IMPORT",
                    tariff_type="COMMODITY",
                    credentials={"login": "alice", "password": "secret"},
                    now=now,
                )
                credentials.record_consent(session, scope=scope, auth_metadata_id=amd_id, now=now)
                pull.open_connection(
                    session,
                    scope=scope,
                    location_id=location.id,
                    direction="IMPORT",
                    tariff_type="COMMODITY",
                    provider_id=PROVIDER_ID,
                    auth_metadata_id=amd_id,
                    now=now,
                    claimed=False,  # left to the refresh, as if no first pull had claimed it
                )


def _allow(runtime: Runtime) -> list[IPNetwork]:
    return list(parse_allowed_networks(runtime.settings.webhook_allowed_networks))


def module_rate(module_url: str, count: int) -> float:
    """The baseline: the module's own answers per second, `tasks.PULLERS` at once from one
    kept-alive client in this process (the pulls' concurrency, without our code)."""
    body = {"auth_metadata": {"data": {"login": "alice", "password": "secret"}}}
    with httpx.Client(base_url=module_url, timeout=10) as client:

        def one(_: int) -> None:
            client.post("/api/tariff_plan", json=body).raise_for_status()

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=tasks.PULLERS) as pool:
            list(pool.map(one, range(count)))
        return count / (time.perf_counter() - began)


def timed_pass(runtime: Runtime, *, hours_later: float) -> tuple[str, float]:
    """One run of the refresh task, `hours_later` after now; (its summary, seconds)."""
    context = TaskContext(runtime=runtime, now=utcnow() + timedelta(hours=hours_later))
    began = time.perf_counter()
    summary = tasks.refresh(context)
    return summary, time.perf_counter() - began


def run(args: argparse.Namespace, work: Path) -> int:
    load_before = start_run(needs_wrk=False)
    hooks.install()  # what the pulls record fans out, as in the worker
    rows = []
    with postgres_database(args.postgres_url) as url:
        settings = Settings(
            data_dir=work,
            database_url=url,
            secret_key=SECRET,
            webhook_allowed_networks="127.0.0.0/8",
            demo_account=False,
            worker_in_process=False,
        )
        db = Database(url, pool_size=tasks.PULLERS + 4)
        upgrade(db.engine)
        runtime = Runtime(settings, db)
        process, module_url = module_process(work, keep_alive=not args.http10)
        try:
            began = time.perf_counter()
            populate(runtime, args.connections, module_url)
            print(f"populated in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            rate = module_rate(module_url, args.connections)
            print(f"baseline, the module alone: {rate:.0f}/s", file=sys.stderr)
            posts = f"{args.connections} POSTs"
            rows.append(f"| baseline: the module alone | {posts} | - | {rate:.0f} |")
            for name, hours_later in (
                ("first pulls (new tariffs)", 0.0),
                ("steady (unchanged)", 27.0),
            ):
                summary, seconds = timed_pass(runtime, hours_later=hours_later)
                rate = args.connections / seconds
                print(f"{name}: {summary} in {seconds:.2f} s = {rate:.0f}/s", file=sys.stderr)
                rows.append(f"| {name} | {summary} | {seconds:.2f} | {rate:.0f} |")
        finally:
            process.terminate()
            process.wait(timeout=10)
            db.dispose()
    table = [
        f"DIRECT refresh, {args.connections} connections, {tasks.PULLERS} pulls at once, "
        f"PostgreSQL, one local module process ({'HTTP/1.0' if args.http10 else 'keep-alive'})",
        "",
        "| pass | summary | seconds | tariffs/s |",
        "|---|---|---:|---:|",
        *rows,
    ]
    facts = machine_facts(args, load_before=load_before, databases=["postgresql"])
    write_markdown("direct_refresh", ["\n".join(table), "\n".join(facts)])
    print("\n".join(table))
    return 0


def main() -> int:
    parser = new_parser(__doc__ or "")
    add_database_arguments(parser, choose=False)
    parser.add_argument("--connections", type=int, default=2000, help="DIRECT connections")
    parser.add_argument(
        "--http10", action="store_true", help="the module closes its connection after each answer"
    )
    args = parser.parse_args()
    return in_work_folder(lambda work: run(args, work))


if __name__ == "__main__":
    raise SystemExit(main())
