"""The resident memory of one server process under an hour of mixed load (issue 17: RSS of one
server process after an hour of mixed load <= 160 MB).

`tariffconnect serve` (one worker, its job runner in process) on a fresh PostgreSQL database
(or SQLite), with a 15-minute market source holding 90 days of prices. Client threads in this
process then send, for `--minutes`, a weighted mix of what apps send: GET /account, POST
/connect and GET /connect/{id} of recent sessions, POST /prices (a TOU day, the 90-day market
window polled again, and a market day one minute later each time, so the series cache keeps
filling and must evict), a page of GET /locations, new locations with tariffs, a market
tariff renamed now and then (the caches invalidated), and bad requests (404s and 400s). Every
answer's status is checked against the one expected. The server's VmRSS is read from
/proc/<pid>/status every `--sample-seconds`.

    .venv/bin/python bench/server_rss.py [--minutes 60] [--threads 4] [--database postgresql]
                                         [--env NAME=VALUE ...]

No webhook endpoint is registered (deliveries are bench/webhooks.py's), so the job runner only
polls. Exits 1 when any answer had an unexpected status.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from common import (
    DATABASES,
    JSON,
    BenchError,
    Server,
    add_database_arguments,
    add_env_argument,
    auth_headers,
    create_account,
    in_work_folder,
    machine_facts,
    new_parser,
    post_json,
    serve_tariffconnect,
    start_run,
    write_markdown,
)
from http_connect import REDIRECTS
from http_prices import (
    LOCATION,
    MARKET_SCHEDULE,
    MARKET_SOURCE,
    TOU_SCHEDULE,
    load_market_prices,
    make_tariff,
    market_series,
    price_body,
)
from tariffconnect.db import Database

TARGET_MIB = 160 * 1000 * 1000 / 2**20  # the 160 MB
MISSING_SESSION = "cot_" + "0" * 24


@dataclass
class Shared:
    """What the client threads share: recent sessions, counts, unexpected answers."""

    market_location: str
    market_tariff: str
    tou_location: str
    sessions: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=500))
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    shift: int = 0

    def next_shift(self) -> int:
        with self.lock:
            self.shift += 1
            return self.shift


Request = Callable[[httpx.Client, Shared], tuple[str, httpx.Response, int]]


def get_account(client: httpx.Client, _shared: Shared) -> tuple[str, httpx.Response, int]:
    return "GET /account", client.get("/account"), 200


def post_connect(client: httpx.Client, shared: Shared) -> tuple[str, httpx.Response, int]:
    body = {"location_id": shared.tou_location, **REDIRECTS}
    response = client.post("/connect", content=orjson.dumps(body), headers=JSON)
    if response.status_code == 200:
        shared.sessions.append(response.json()["id"])
    return "POST /connect", response, 200


def get_connect(client: httpx.Client, shared: Shared) -> tuple[str, httpx.Response, int]:
    session_id = random.choice(shared.sessions) if shared.sessions else MISSING_SESSION
    expected = 404 if session_id == MISSING_SESSION else 200
    return "GET /connect/{id}", client.get(f"/connect/{session_id}"), expected


def prices(location: Callable[[Shared], str], window: str, *, moving: bool = False) -> Request:
    def send(client: httpx.Client, shared: Shared) -> tuple[str, httpx.Response, int]:
        shift = shared.next_shift() % (60 * 24 * 80) if moving else 0
        body = price_body(location(shared), window, shift=shift)
        name = f"POST /prices {window}{' moving' if moving else ''}"
        return name, client.post("/prices", content=body, headers=JSON), 200

    return send


def list_locations(client: httpx.Client, _shared: Shared) -> tuple[str, httpx.Response, int]:
    return "GET /locations", client.get("/locations", params={"limit": 50}), 200


def new_location(client: httpx.Client, _shared: Shared) -> tuple[str, httpx.Response, int]:
    location = post_json(client, "/locations", LOCATION, expect=201)
    body = {"location_id": location["id"], "schedule": TOU_SCHEDULE}
    response = client.post("/tariffs", content=orjson.dumps(body), headers=JSON)
    return "POST /locations + /tariffs", response, 201


def rename_market(client: httpx.Client, shared: Shared) -> tuple[str, httpx.Response, int]:
    body = orjson.dumps({"display_name": f"Market {shared.next_shift()}"})
    response = client.patch(f"/tariffs/{shared.market_tariff}", content=body, headers=JSON)
    return "PATCH /tariffs", response, 200


def bad_connect(client: httpx.Client, _shared: Shared) -> tuple[str, httpx.Response, int]:
    return "POST /connect {} (400)", client.post("/connect", content=b"{}", headers=JSON), 400


MIX: list[tuple[Request, int]] = [
    (get_account, 30),
    (get_connect, 20),
    (post_connect, 10),
    (prices(lambda s: s.tou_location, "1 day"), 10),
    (prices(lambda s: s.market_location, "1 day", moving=True), 10),
    (prices(lambda s: s.market_location, "90 days"), 5),
    (list_locations, 5),
    (new_location, 2),
    (bad_connect, 2),
    (rename_market, 1),
]


def client_loop(base_url: str, headers: dict[str, str], shared: Shared, until: float) -> None:
    requests, weights = zip(*MIX, strict=True)
    chooser = random.Random()
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            (send,) = chooser.choices(requests, weights=weights)
            name, response, expected = send(client, shared)
            with shared.lock:
                shared.counts[name] += 1
                if response.status_code != expected and len(shared.unexpected) < 20:
                    shared.unexpected.append(
                        f"{name}: {response.status_code} {response.text[:200]}"
                    )


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


@dataclass(frozen=True, slots=True)
class Sample:
    minute: float
    rss_mib: float
    requests: int


def soak(server: Server, args: argparse.Namespace) -> tuple[list[Sample], Shared]:
    account = create_account(server.env)
    _basic, bearer = auth_headers(server.base_url, account)
    with httpx.Client(base_url=server.base_url, headers=bearer, timeout=60) as client:
        tou, _zone, _ = make_tariff(client, schedule=TOU_SCHEDULE)
        market, _zone, market_tariff = make_tariff(
            client, market_rates=True, market_source_id=MARKET_SOURCE, schedule=MARKET_SCHEDULE
        )
    local_db = Database(server.sqlalchemy_url, pool_size=1)
    try:
        load_market_prices(local_db, market_series())
    finally:
        local_db.dispose()
    shared = Shared(market_location=market, market_tariff=market_tariff, tou_location=tou)
    began = time.monotonic()
    until = began + args.minutes * 60
    threads = [
        threading.Thread(target=client_loop, args=(server.base_url, bearer, shared, until))
        for _ in range(args.threads)
    ]
    samples = [Sample(0.0, rss_mib(server.pid), 0)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(min(args.sample_seconds, max(until - time.monotonic(), 0.1)))
        with shared.lock:
            done = sum(shared.counts.values())
        samples.append(Sample((time.monotonic() - began) / 60, rss_mib(server.pid), done))
    for thread in threads:
        thread.join()
    return samples, shared


def render(samples: list[Sample], shared: Shared, args: argparse.Namespace) -> str:
    every = max(1, round(5 * 60 / args.sample_seconds))  # a row each 5 minutes, and the last
    shown = [s for i, s in enumerate(samples) if i % every == 0 or i == len(samples) - 1]
    lines = ["| minute | requests so far | RSS MiB |", "|---:|---:|---:|"]
    lines += [f"| {s.minute:.1f} | {s.requests:,} | {s.rss_mib:.1f} |" for s in shown]
    total = samples[-1].requests
    seconds = samples[-1].minute * 60
    peak = max(s.rss_mib for s in samples)
    end = samples[-1].rss_mib
    lines += ["", "| request | count |", "|---|---:|"]
    lines += [f"| {name} | {count:,} |" for name, count in shared.counts.most_common()]
    verdict = "met" if end <= TARGET_MIB and not shared.unexpected else "NOT met"
    lines += [
        "",
        f"- {total:,} requests in {seconds:.0f} s ({total / max(seconds, 1):.0f}/s), "
        f"{args.threads} client threads",
        f"- RSS at the start {samples[0].rss_mib:.1f} MiB, after {samples[-1].minute:.0f} min "
        f"{end:.1f} MiB, peak {peak:.1f} MiB; target <= 160 MB ({TARGET_MIB:.1f} MiB): {verdict}",
        f"- unexpected answers: {len(shared.unexpected)}",
        *(f"  - {text}" for text in shared.unexpected),
    ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = new_parser(__doc__ or "")
    add_database_arguments(parser, choose=False)
    parser.add_argument("--database", choices=DATABASES, default="postgresql")
    parser.add_argument("--minutes", type=float, default=60, help="how long the load runs")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--sample-seconds", type=float, default=10, help="between RSS reads")
    add_env_argument(parser)
    args = parser.parse_args()
    args.env = dict(args.env)
    return args


def main() -> int:
    args = parse_args()
    load_before = start_run(needs_wrk=False)

    def run(work: Path) -> tuple[list[Sample], Shared]:
        with serve_tariffconnect(work, args.database, args.postgres_url, env=args.env) as server:
            return soak(server, args)

    samples, shared = in_work_folder(run)
    report = render(samples, shared, args)
    server_env = ", ".join(f"{k}={v}" for k, v in args.env.items()) or "defaults"
    details = machine_facts(
        args,
        load_before=load_before,
        databases=[args.database],
        details=[f"server: `tariffconnect serve`, 1 worker; environment: {server_env}"],
    )
    path = write_markdown("server_rss", [report, "\n".join(details)])
    print(f"{report}\n\n" + "\n".join(details) + f"\n\nwritten to {path}")
    return 1 if shared.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
