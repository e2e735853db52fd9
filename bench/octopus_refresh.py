"""The DIRECT refresh of Octopus customers on PostgreSQL against the local Octopus fixture
server: tariffs refreshed per second by the `integrations.refresh` task (issue 13).

A fresh database gets N GB locations (post code SW1A 2AA), each connected DIRECT to Octopus
Energy through the built-in adapter with a Go account's number and API key, as the Connect
flow stores them. The fixture server (tests/integrations/octopus/fixture_server.py, the same
answers the tests read: the account with its Go import and Outgoing export agreements, the
products and their half-hourly rates) runs in its own process. The task then runs in this
process, as the worker runs it: a first pass (every answer is a new import and export tariff,
with their events) and a steady pass a day later (the same answers: nothing written but the
connections' times).

The baseline, in the same run: the fixture server alone answering the requests one pull makes
(the account, the product, the unit rates and standing charges of import and export), with
the pulls' concurrency, from one client in this process.

    .venv/bin/python bench/octopus_refresh.py --connections 10000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx

from common import (
    REPO,
    add_database_arguments,
    in_work_folder,
    machine_facts,
    new_parser,
    postgres_database,
    start_run,
    write_markdown,
)
from direct_refresh import timed_pass

sys.path.insert(0, str(REPO))  # the fixture server and the customers live in `tests`

from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.fixture_server import API_KEY, OctopusApi
from tests.market.feeds.fixture_server import Answer, Asked, serving

from tariffconnect import hooks
from tariffconnect.accounts import service as accounts
from tariffconnect.config import Settings
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.integrations import credentials, pull, tasks
from tariffconnect.integrations.adapters import registry
from tariffconnect.integrations.adapters.base import Authorised, Where
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime

SECRET = "the octopus refresh benchmark's secret key"
POST_CODE = "SW1A 2AA"

# The fixture server in a process of its own, so that its answers do not take this process's
# interpreter from the refresh being measured. It prints its URL once it serves.
SERVER = (
    "import sys, threading; "
    "from tests.integrations.octopus import adapter_support as octo; "
    "from tests.integrations.octopus.fixture_server import octopus_api; "
    "cm = octopus_api(octo.customers()); server, _ = cm.__enter__(); "
    "print(server.url, flush=True); threading.Event().wait()"
)


def fixture_process(work: Path) -> tuple[subprocess.Popen[str], str]:
    """The Octopus fixture server on a free port; (process, base URL)."""
    log = (work / "octopus.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER], cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.terminate()
        raise SystemExit("the Octopus fixture server did not start")
    return process, url


def offered() -> None:
    """Offer the adapter in this process if the registry does not yet (it is offered once
    issue 13 lands; its tests offer it the same way)."""
    if registry.adapter_for(OCTOPUS_GB_PROVIDER_ID, live_mode=False) is None:
        registry._LIVE.update(registry.NOT_OFFERED)


def learn(settings: Settings) -> tuple[dict[str, str], dict[str, object], list[str]]:
    """What a Connect login stores for the Go customer (the credentials given and the
    adapter's reference from authorising them), and the requests one pull of it makes, as an
    in-process copy of the fixture server records them."""
    api = OctopusApi(octo.customers())
    asked: list[Asked] = []

    def recording(request: Asked) -> Answer:
        asked.append(request)
        return api(request)

    with serving(recording) as server:
        api.base = server.url
        local = settings.model_copy(update={"octopus_api_url": server.url})
        adapter = registry.adapter_for(OCTOPUS_GB_PROVIDER_ID, live_mode=False, settings=local)
        assert adapter is not None
        given = {"account_number": octo.GO_NUMBER, "api_key": API_KEY}
        outcome = adapter.authorise(given, Where("GB", POST_CODE))
        assert isinstance(outcome, Authorised), outcome
        asked.clear()
        adapter.capture(dict(outcome.reference))
    paths = [f"{a.path}?{urlencode(a.query)}" if a.query else a.path for a in asked]
    return given, dict(outcome.reference), paths


def populate(
    runtime: Runtime, count: int, given: dict[str, str], reference: dict[str, object]
) -> None:
    """An account with `count` locations, each connected DIRECT to Octopus."""
    now = utcnow()
    with runtime.db.transaction() as session:
        account_id = accounts.create(session, name="Bench").id
    scope = Scope(account_id=account_id, live_mode=False)
    for start in range(0, count, 500):
        with runtime.db.transaction() as session:
            for _ in range(min(500, count - start)):
                location = Location(
                    id=new_id("loc"),
                    account_id=account_id,
                    live_mode=False,
                    time_created=now,
                    address_line1="10 Downing Street",
                    city="London",
                    post_code=POST_CODE,
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
                    provider_id=OCTOPUS_GB_PROVIDER_ID,
                    direction="IMPORT",
                    tariff_type="COMMODITY",
                    credentials=given,
                    reference=reference,
                    now=now,
                )
                credentials.record_consent(session, scope=scope, auth_metadata_id=amd_id, now=now)
                pull.open_connection(
                    session,
                    scope=scope,
                    location_id=location.id,
                    direction="IMPORT",
                    tariff_type="COMMODITY",
                    provider_id=OCTOPUS_GB_PROVIDER_ID,
                    auth_metadata_id=amd_id,
                    now=now,
                    claimed=False,  # left to the refresh, as if no first pull had claimed it
                )


def fixture_rate(url: str, paths: list[str], count: int) -> float:
    """The baseline: `count` pulls' worth of the fixture server's answers (`paths`) per
    second, `tasks.PULLERS` at once from one client (HTTP/1.0 as the server speaks it)."""
    with httpx.Client(base_url=url, timeout=10, auth=(API_KEY, "")) as client:

        def one(_: int) -> None:
            for path in paths:
                client.get(path).raise_for_status()

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=tasks.PULLERS) as pool:
            list(pool.map(one, range(count)))
        return count / (time.perf_counter() - began)


def run(args: argparse.Namespace, work: Path) -> int:
    load_before = start_run(needs_wrk=False)
    hooks.install()  # what the pulls record fans out, as in the worker
    offered()
    rows = []
    with postgres_database(args.postgres_url) as url:
        process, api_url = fixture_process(work)
        settings = Settings(
            data_dir=work,
            database_url=url,
            secret_key=SECRET,
            webhook_allowed_networks="127.0.0.0/8",
            octopus_api_url=api_url,
            demo_account=False,
            worker_in_process=False,
        )
        db = Database(url, pool_size=tasks.PULLERS + 4)
        upgrade(db.engine)
        runtime = Runtime(settings, db)
        try:
            began = time.perf_counter()
            given, reference, paths = learn(settings)
            populate(runtime, args.connections, given, reference)
            print(f"populated in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            rate = fixture_rate(api_url, paths, min(args.connections, 2000))
            print(f"baseline, the fixture server alone: {rate:.0f} pulls/s", file=sys.stderr)
            gets = f"{len(paths)} GETs a pull"
            rows.append(f"| baseline: the fixture server alone | {gets} | - | {rate:.0f} |")
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
        f"Octopus DIRECT refresh, {args.connections} locations, {tasks.PULLERS} pulls at once, "
        "PostgreSQL, the Octopus fixture server in its own process",
        "",
        "| pass | summary | seconds | tariffs/s |",
        "|---|---|---:|---:|",
        *rows,
    ]
    facts = machine_facts(args, load_before=load_before, databases=["postgresql"])
    write_markdown("octopus_refresh", ["\n".join(table), "\n".join(facts)])
    print("\n".join(table))
    return 0


def main() -> int:
    parser = new_parser(__doc__ or "")
    add_database_arguments(parser, choose=False)
    parser.add_argument("--connections", type=int, default=10000, help="Octopus locations")
    args = parser.parse_args()
    return in_work_folder(lambda work: run(args, work))


if __name__ == "__main__":
    sys.exit(main())
