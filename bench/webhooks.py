"""Webhooks benchmark: deliveries per second (1 and 2 workers) and commit-to-receipt latency.

Runs `tariffconnect serve` on a fresh PostgreSQL database with the in-process worker off
(TARIFFCONNECT_WORKER_IN_PROCESS=false), a fast receiver (raw asyncio HTTP server, its own
process, answering 200 at once) and `tariffconnect worker` processes started and stopped by the
benchmark. Targets: >= 500 deliveries/s; p50 commit-to-receipt latency <= 200 ms.

    .venv/bin/python bench/webhooks.py [--events 3000] [--rate 20] [--seconds 10] [--profile]

Throughput: N `POST /customers` are made with no worker running (N events, N deliveries to one
endpoint that wants "*"), then the worker(s) start; elapsed = last receipt - worker start.
Latency: with one idle worker running, `POST /customers` at a steady rate; latency = the
receiver's arrival time - the client's time when the API answered (same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from common import (
    BIN_DIR,
    HOST,
    OUT_DIR,
    REPO,
    BenchError,
    add_database_arguments,
    auth_headers,
    cpu_seconds,
    create_account,
    free_port,
    in_work_folder,
    machine_facts,
    new_parser,
    percentile,
    post_json,
    py_spy_record,
    serve_tariffconnect,
    shares,
    start_run,
    stop,
    write_markdown,
)

TARGET_PER_SECOND = 500.0
TARGET_P50_MS = 200.0
DELIVERY_TIMEOUT_SECONDS = 120.0

# --- the receiver (a separate process: `webhooks.py --receiver PORT FILE`) ---------------------


def run_receiver(port: int, out_file: str) -> None:
    """Answer every POST with 200 at once; GET /count says how many distinct webhook-ids came.

    Keeps (arrival time, webhook-id, raw body) per request and writes them as JSON lines on
    SIGTERM; bodies are parsed only then, so the hot path does as little as possible.
    """
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    records: list[tuple[float, str, bytes]] = []
    seen: set[str] = set()
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("GET /count"):
                    text = str(len(seen)).encode()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text)
                    )
                else:
                    arrived = time.time()
                    webhook_id = headers.get("webhook-id", "")
                    records.append((arrived, webhook_id, body))
                    seen.add(webhook_id)
                    writer.write(ok)
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, done.set)
        server = await asyncio.start_server(handle, HOST, port, backlog=1024)
        async with server:
            await done.wait()
        with open(out_file, "wb") as out:
            for arrived, webhook_id, body in records:
                event = orjson.loads(body) if body else {}
                row = {
                    "at": arrived,
                    "webhook_id": webhook_id,
                    "event_id": event.get("id"),
                    "time_created": event.get("time_created"),
                    "object_id": (event.get("data") or {}).get("id"),
                }
                out.write(orjson.dumps(row) + b"\n")

    asyncio.run(main())


@dataclass
class Receiver:
    url: str
    count_url: str
    out_file: Path
    process: subprocess.Popen[bytes]

    def count(self) -> int:
        with urllib.request.urlopen(self.count_url, timeout=5) as response:
            return int(response.read())

    def finish(self) -> list[dict[str, object]]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return [json.loads(line) for line in self.out_file.read_text().splitlines()]


@contextlib.contextmanager
def receiver(work: Path) -> Iterator[Receiver]:
    port = free_port()
    out_file = work / "received.jsonl"
    command = [sys.executable, __file__, "--receiver", str(port), str(out_file)]
    log = (work / "receiver.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    rec = Receiver(f"http://{HOST}:{port}/hook", f"http://{HOST}:{port}/count", out_file, process)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                rec.count()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise BenchError("the receiver did not start") from None
                time.sleep(0.05)
        yield rec
    finally:
        if process.poll() is None:
            stop(process)
        log.close()


# --- workers and load ----------------------------------------------------------------------------


@contextlib.contextmanager
def workers(env: dict[str, str], count: int, work: Path, tag: str) -> Iterator[list[int]]:
    """`count` `tariffconnect worker` processes; yields their pids."""
    processes = []
    try:
        for index in range(count):
            log = (work / f"worker-{tag}-{index}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [str(BIN_DIR / "tariffconnect"), "worker"],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
        yield [p.pid for p in processes]
    finally:
        for process in processes:
            stop(process)


async def create_customers(
    base_url: str, bearer: dict[str, str], n: int, concurrency: int
) -> set[str]:
    """N `POST /customers {}` through `concurrency` clients; the customers' ids."""
    ids: set[str] = set()
    queue = iter(range(n))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers=bearer, timeout=30) as http:
            for _ in queue:
                response = await http.post("/customers", json={})
                if response.status_code != 201:
                    raise BenchError(f"POST /customers answered {response.status_code}")
                ids.add(response.json()["id"])

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return ids


async def paced_customers(
    base_url: str, bearer: dict[str, str], rate: float, seconds: float
) -> dict[str, float]:
    """`POST /customers` at `rate` per second; customer id -> time.time() the answer came."""
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base_url, headers=bearer, timeout=30) as http:

        async def one() -> None:
            response = await http.post("/customers", json={})
            at = time.time()
            if response.status_code != 201:
                raise BenchError(f"POST /customers answered {response.status_code}")
            answered[response.json()["id"]] = at

        start = time.monotonic()
        tasks = []
        for index in range(int(rate * seconds)):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return answered


def wait_for(rec: Receiver, total: int) -> None:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while rec.count() < total:
        if time.monotonic() > deadline:
            raise BenchError(
                f"only {rec.count()} of {total} deliveries after {DELIVERY_TIMEOUT_SECONDS}s"
            )
        time.sleep(0.01)


def register_endpoint(base_url: str, bearer: dict[str, str], url: str) -> None:
    body = {"url": url, "enabled_events": ["*"]}
    with httpx.Client(base_url=base_url, headers=bearer, timeout=10) as client:
        post_json(client, "/webhook_endpoints", body, expect=201)


# --- profile -------------------------------------------------------------------------------------


def profile(pid: int, out: Path, seconds: int) -> str:
    """py-spy on a worker; a summary of own and inclusive time from the folded stacks."""
    py_spy_record(pid, seconds, out)
    own = shares(out, lambda frames: frames[-1:])
    inclusive = shares(out, lambda frames: frames, top=30)
    lines = ["own time:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in own]
    lines += ["", "inclusive:"]
    lines += [f"  {share:6.1%}  {name}" for name, share in inclusive]
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


def parse_utc(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(args: argparse.Namespace, work: Path) -> tuple[list[str], str]:
    lines: list[str] = []
    # workers, customer ids, worker start, workers' CPU ms per delivery
    phases: list[tuple[int, set[str], float, float]] = []
    with (
        receiver(work) as rec,
        serve_tariffconnect(
            work,
            "postgresql",
            args.postgres_url,
            env={
                "TARIFFCONNECT_WORKER_IN_PROCESS": "false",
                # The receiver is on this machine: the leave a developer gives too.
                "TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            },
        ) as server,
    ):
        base, env = server.base_url, server.env
        _, bearer = auth_headers(base, create_account(env))
        register_endpoint(base, bearer, rec.url)
        expected = 0
        for count in (1, 2):
            print(f"creating {args.events} events for {count} worker(s)", file=sys.stderr)
            ids = asyncio.run(create_customers(base, bearer, args.events, args.concurrency))
            expected += len(ids)
            if rec.count() != expected - len(ids):
                raise BenchError("deliveries arrived with no worker running")
            started = time.time()
            with workers(env, count, work, f"throughput{count}") as pids:
                # CPU per delivery from the first receipt on: start-up (imports) left out.
                wait_for(rec, expected - len(ids) + 1)
                cpu_before, sent_before = cpu_seconds(pids), rec.count()
                wait_for(rec, expected)
                cpu_ms = 1000 * (cpu_seconds(pids) - cpu_before) / (rec.count() - sent_before)
                print(f"  {count} worker(s): done in {time.time() - started:.2f}s", file=sys.stderr)
            phases.append((count, ids, started, cpu_ms))
        print(f"latency: {args.rate}/s for {args.seconds}s, one idle worker", file=sys.stderr)
        with workers(env, 1, work, "latency"):
            warm = asyncio.run(create_customers(base, bearer, 1, 1))
            expected += len(warm)
            wait_for(rec, expected)
            time.sleep(1)
            answered = asyncio.run(paced_customers(base, bearer, args.rate, args.seconds))
            expected += len(answered)
            wait_for(rec, expected)
        profile_text = ""
        if args.profile:
            print("profiling one worker under a backlog", file=sys.stderr)
            ids = asyncio.run(create_customers(base, bearer, args.events, args.concurrency))
            expected += len(ids)
            with workers(env, 1, work, "profile") as pids:
                # Past start-up (imports, the migration check): from the first receipt on.
                wait_for(rec, expected - len(ids) + 1)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                OUT_DIR.mkdir(parents=True, exist_ok=True)
                folded = OUT_DIR / f"webhooks-worker-{stamp}.folded"
                profile_text = profile(pids[0], folded, args.profile_seconds)
                wait_for(rec, expected)
            print(profile_text, file=sys.stderr)
        records = rec.finish()

    ids_seen = collections.Counter(str(r["webhook_id"]) for r in records)
    repeats = sum(c - 1 for c in ids_seen.values() if c > 1)
    if repeats:
        raise BenchError(f"{repeats} webhook-ids arrived more than once")
    by_object = {str(r["object_id"]): r for r in records}
    lines += [
        "| workers | deliveries | elapsed from worker start s | deliveries/s | "
        "first to last receipt s | deliveries/s (steady) | workers' CPU ms per delivery |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rates = []
    for count, ids, started, cpu_ms in phases:
        arrivals = sorted(float(by_object[i]["at"]) for i in ids)  # type: ignore[arg-type]
        elapsed = arrivals[-1] - started
        steady = arrivals[-1] - arrivals[0]
        rates.append(len(ids) / elapsed)
        lines.append(
            f"| {count} | {len(ids)} | {elapsed:.2f} | {len(ids) / elapsed:.0f} | {steady:.2f} "
            f"| {(len(ids) - 1) / steady:.0f} | {cpu_ms:.2f} |"
        )
    latencies = [1000 * (float(by_object[i]["at"]) - at) for i, at in answered.items()]  # type: ignore[arg-type]
    since_created = [
        1000 * (float(by_object[i]["at"]) - parse_utc(str(by_object[i]["time_created"])))  # type: ignore[arg-type]
        for i in answered
    ]
    lines += [
        "",
        f"| latency (n = {len(latencies)}, {args.rate:g}/s) | p50 ms | p99 ms | max ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in (
        ("API answer -> receipt", latencies),
        ("event time_created (whole s) -> receipt", since_created),
    ):
        lines.append(
            f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 99):.1f} "
            f"| {max(values):.1f} | {statistics.fmean(values):.1f} |"
        )
    p50 = percentile(latencies, 50)
    lines += [
        "",
        f"- no webhook-id arrived twice ({len(records)} requests, {len(ids_seen)} distinct ids)",
        f"- deliveries/s, 1 worker: {rates[0]:.0f}, 2 workers: {rates[1]:.0f}; target >= "
        f"{TARGET_PER_SECOND:.0f}: {'met' if max(rates) >= TARGET_PER_SECOND else 'NOT met'}"
        f" (1 worker {'met' if rates[0] >= TARGET_PER_SECOND else 'NOT met'})",
        f"- p50 commit-to-receipt: {p50:.1f} ms; target <= {TARGET_P50_MS:.0f} ms: "
        f"{'met' if p50 <= TARGET_P50_MS else 'NOT met'}",
    ]
    return lines, profile_text


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--receiver":
        run_receiver(int(sys.argv[2]), sys.argv[3])
        return 0
    parser = new_parser(__doc__)
    parser.add_argument("--events", type=int, default=3000, help="deliveries per throughput run")
    parser.add_argument("--concurrency", type=int, default=8, help="clients creating events")
    parser.add_argument("--rate", type=float, default=20, help="changes/s in the latency run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run")
    parser.add_argument("--profile", action="store_true", help="py-spy one worker afterwards")
    parser.add_argument("--profile-seconds", type=int, default=6)
    add_database_arguments(parser, choose=False)  # PostgreSQL only: workers share SKIP LOCKED
    args = parser.parse_args()
    load_before = start_run(needs_wrk=False)
    lines, profile_text = in_work_folder(lambda work: run(args, work))
    text = "\n".join(lines)
    print(text)
    details = [
        f"events created with {args.concurrency} concurrent httpx clients (POST /customers {{}})"
    ]
    facts = machine_facts(args, load_before=load_before, databases=["postgresql"], details=details)
    sections = ["# Webhooks benchmark", text, "## Machine", "\n".join(facts)]
    if profile_text:
        sections += ["## Worker profile (py-spy)", f"```\n{profile_text}\n```"]
    write_markdown("webhooks", sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
