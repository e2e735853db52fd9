"""HTTP foundation benchmark: GET /login and GET /account against a bare Starlette app.

Starts each server the way it is run in production (uvicorn, one worker, access log on), loads
it with wrk, and prints requests/s, p50 and p99 latency and the throughput ratio to the bare app.
The target is GET /account at >= 0.6x the bare app's requests/s.

    .venv/bin/python bench/http_foundation.py [--duration 10] [--connections 32]
                                              [--database sqlite|postgresql|both]

Needs wrk on PATH; for PostgreSQL, a server that lets --postgres-url create databases.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bench" / "out"
# The console scripts of the interpreter running this file, i.e. of the project's venv.
BIN_DIR = Path(sys.executable).parent
HOST = "127.0.0.1"
WORKERS = 1  # what `tariffconnect serve` runs by default
# One wrk thread: on a 2-core machine it keeps the load generator to one core and leaves the
# other to the server, whose single worker cannot use more than about one core anyway (GIL).
WRK_THREADS = 1
WARMUP_SECONDS = 2
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
TARGET_RATIO = 0.6
PACKAGES = ("uvicorn", "uvloop", "httptools", "starlette", "fastapi", "sqlalchemy", "psycopg")


class BenchError(Exception):
    """The benchmark could not produce a trustworthy figure."""


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    database: str
    url: str
    headers: dict[str, str]
    # A wrk Lua script (`wrk -s`), for requests other than a plain GET (method, body).
    script: Path | None = None


@dataclass(frozen=True, slots=True)
class Result:
    target: Target
    requests_per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Server:
    """A running server (bare app or `tariffconnect serve`) and how to talk to it."""

    base_url: str
    env: dict[str, str]  # the server's environment, for CLI commands on the same data
    database_url: str  # SQLAlchemy URL; empty for SQLite in the data folder or no database
    pid: int


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError):  # not listening yet
            if http_get(url)[0] == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {READY_TIMEOUT_SECONDS}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group, so no worker it forked outlives the benchmark."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(ProcessLookupError):  # whatever did not stop in time
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def running(
    command: Sequence[str], *, env: dict[str, str], log_path: Path, ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in its own session (so its group can be killed) until the block ends.

    Yields the process, whose pid is the server's (for a profiler to attach to).
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_ready(process, ready_url)
        yield process
    except BenchError as error:
        # The log lives in a temporary folder that is about to go: show its end now.
        raise BenchError(f"{error}\nserver log, last lines:\n{log_tail(log_path)}") from None
    finally:
        stop(process)


# --- wrk -------------------------------------------------------------------------------------

_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")
_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def wrk_output(target: Target, *, seconds: int, connections: int) -> str:
    """Run wrk against the target and return its report, failed responses or not."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    if target.script is not None:
        command += ["-s", str(target.script)]
    command.append(target.url)
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def wrk_failure(output: str) -> str | None:
    """wrk's line counting non-2xx responses or socket errors (timeouts too), if any."""
    failed = _NON_2XX.search(output) or _SOCKET_ERRORS.search(output)
    return failed.group(0) if failed else None


def run_wrk(target: Target, *, seconds: int, connections: int) -> str:
    """Run wrk against the target; raise if any response failed, so no figure hides errors."""
    output = wrk_output(target, seconds=seconds, connections=connections)
    failed = wrk_failure(output)
    if failed:
        raise BenchError(f"{target.name} ({target.database}): {failed}\n{output}")
    return output


def percentile_ms(output: str, percent: int) -> float:
    match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if match is None:
        raise BenchError(f"no {percent}% latency line in wrk's output:\n{output}")
    return float(match.group(1)) * _MS_PER_UNIT[match.group(2)]


def parse_wrk(target: Target, output: str) -> Result:
    match = _REQUESTS_PER_SECOND.search(output)
    if match is None:
        raise BenchError(f"no Requests/sec line in wrk's output:\n{output}")
    return Result(
        target=target,
        requests_per_second=float(match.group(1)),
        p50_ms=percentile_ms(output, 50),
        p99_ms=percentile_ms(output, 99),
    )


def measure(target: Target, args: argparse.Namespace) -> Result:
    # The warm-up pays for first-request costs (lazy imports, pool connections) outside the run.
    run_wrk(target, seconds=WARMUP_SECONDS, connections=args.connections)
    output = run_wrk(target, seconds=args.duration, connections=args.connections)
    result = parse_wrk(target, output)
    print(
        f"  {target.name} ({target.database}): {result.requests_per_second:.0f} req/s",
        file=sys.stderr,
    )
    return result


# --- the bare baseline -------------------------------------------------------------------------


BARE_NAME = "bare GET /"


@contextlib.contextmanager
def serve_bare(work: Path) -> Iterator[Server]:
    """bench/bare_app.py served by uvicorn as `tariffconnect serve` serves TariffConnect."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    # The uvicorn CLI's defaults are uvicorn.run's (loop and http "auto", access log on), which
    # is how `tariffconnect serve` calls it, with log_level="info".
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.bare_app:app"),
        *("--host", HOST, "--port", str(port), "--workers", str(WORKERS), "--log-level", "info"),
    ]
    env = dict(os.environ)
    with running(command, env=env, log_path=work / "bare.log", ready_url=f"{url}/") as process:
        yield Server(base_url=url, env=env, database_url="", pid=process.pid)


def bench_bare(work: Path, args: argparse.Namespace) -> Result:
    print("bare Starlette app", file=sys.stderr)
    with serve_bare(work) as server:
        return measure(Target(BARE_NAME, "-", f"{server.base_url}/", {}), args)


# --- TariffConnect -----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database for one run; yields its SQLAlchemy URL and drops it afterwards."""
    name = f"tariffconnect_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            # FORCE: a server that could not be stopped cleanly must not keep the database alive.
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def libpq_url(sqlalchemy_url: str) -> str:
    """The URL psycopg takes for a PostgreSQL URL in SQLAlchemy's form (`postgresql+psycopg:`)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def database_url(database: str, postgres_url: str) -> Iterator[str]:
    """The TARIFFCONNECT_DATABASE_URL to use; empty means SQLite in the data folder."""
    if database == "postgresql":
        with postgres_database(postgres_url) as url:
            yield url
    else:
        yield ""


def tariffconnect_env(data_dir: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TARIFFCONNECT_DATA_DIR": str(data_dir),
        "TARIFFCONNECT_DATABASE_URL": url,
        # The benchmark makes its own account with the CLI; a demo account would only be noise.
        "TARIFFCONNECT_DEMO_ACCOUNT": "false",
    }


def create_account(env: dict[str, str]) -> dict[str, str]:
    command = [str(BIN_DIR / "tariffconnect"), "account", "create", "--json"]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    account: dict[str, str] = json.loads(done.stdout)
    return account


def expect_ok(url: str, headers: dict[str, str]) -> bytes:
    status, body = http_get(url, headers)
    if status != 200:
        raise BenchError(f"GET {url} answered {status}: {body!r}")
    return body


def auth_headers(base_url: str, account: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The Basic header for GET /login and the Bearer header it buys, both checked once."""
    credentials = f"{account['account_id']}:{account['test_api_key']}".encode()
    basic = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
    token = json.loads(expect_ok(f"{base_url}/login", basic))["bearer_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    if json.loads(expect_ok(f"{base_url}/account", bearer))["id"] != account["account_id"]:
        raise BenchError("GET /account answered another account")
    return basic, bearer


@contextlib.contextmanager
def serve_tariffconnect(work: Path, database: str, postgres_url: str) -> Iterator[Server]:
    """`tariffconnect serve` on a fresh data folder (and a fresh PostgreSQL database)."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        *(str(BIN_DIR / "tariffconnect"), "serve"),
        *("--host", HOST, "--port", str(port), "--workers", str(WORKERS)),
    ]
    with database_url(database, postgres_url) as url:
        env = tariffconnect_env(work / f"data-{database}", url)
        log_path = work / f"tariffconnect-{database}.log"
        with running(command, env=env, log_path=log_path, ready_url=f"{base_url}/health") as proc:
            yield Server(base_url=base_url, env=env, database_url=url, pid=proc.pid)


def bench_tariffconnect(work: Path, database: str, args: argparse.Namespace) -> list[Result]:
    print(f"TariffConnect on {database}", file=sys.stderr)
    with serve_tariffconnect(work, database, args.postgres_url) as server:
        base_url = server.base_url
        basic, bearer = auth_headers(base_url, create_account(server.env))
        targets = [
            Target("GET /login", database, f"{base_url}/login", basic),
            Target("GET /account", database, f"{base_url}/account", bearer),
        ]
        return [measure(target, args) for target in targets]


# --- report ------------------------------------------------------------------------------------


def render_table(results: list[Result]) -> str:
    bare = results[0].requests_per_second
    lines = [
        "| target | database | requests/s | p50 ms | p99 ms | ratio to bare |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r.requests_per_second / bare
        lines.append(
            f"| {r.target.name} | {r.target.database} | {r.requests_per_second:.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def render_verdict(results: list[Result]) -> str:
    bare = results[0].requests_per_second
    lines = []
    for r in results:
        if r.target.name == "GET /account":
            ratio = r.requests_per_second / bare
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            lines.append(
                f"- GET /account on {r.target.database}: {ratio:.2f}x bare, "
                f"target >= {TARGET_RATIO}x {verdict}"
            )
    return "\n".join(lines)


def first_line(command: Sequence[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def postgres_version(admin_url: str) -> str:
    with psycopg.connect(admin_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    commit = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    status = ["git", "-C", str(REPO), "status", "--porcelain"]
    changed = subprocess.run(status, capture_output=True, text=True, check=False).stdout.strip()
    return f"{commit}, with uncommitted changes" if changed else commit


def machine_facts(args: argparse.Namespace, databases: list[str], load_before: float) -> list[str]:
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    facts = [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"command: {' '.join([os.path.relpath(sys.executable, REPO), *sys.argv])}",
        f"code: {code_version()}",
        f"nproc: {len(os.sched_getaffinity(0))} ({cpu_model()})",
        f"os: {platform.platform()}",
        # Other work on the machine skews every figure: say how busy it was when the run began.
        f"load average (1 min) before the run: {load_before:.2f}",
        f"python: {platform.python_version()}",
        f"wrk: {first_line(['wrk', '-v'])}",
        f"wrk settings: -t{WRK_THREADS} -c{args.connections} -d{args.duration}s --latency, "
        f"after a {WARMUP_SECONDS}s warm-up",
        f"server: uvicorn, {WORKERS} worker, access log on, log level info",
        f"packages: {versions}",
    ]
    if "postgresql" in databases:
        facts.append(f"postgresql: {postgres_version(args.postgres_url)} (local, TCP)")
    return [f"- {fact}" for fact in facts]


def write_markdown(stem: str, sections: Sequence[str]) -> Path:
    """Write `bench/out/<stem>-<UTC timestamp>.md`, so earlier runs are kept for comparison."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT_DIR / f"{stem}-{stamp}.md"
    path.write_text("\n\n".join(sections) + "\n")
    return path


def write_report(table: str, verdict: str, facts: list[str]) -> Path:
    sections = ["# HTTP foundation benchmark", table, verdict, "## Machine", "\n".join(facts)]
    return write_markdown("http_foundation", sections)


# --- main --------------------------------------------------------------------------------------


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """`--database` and `--postgres-url`, the same for every HTTP benchmark."""
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="both", help="backends"
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="libpq URL of a database to connect to for CREATE/DROP DATABASE",
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    add_database_arguments(parser)
    return parser.parse_args()


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # SystemExit unwinds through the `finally` blocks, which stop the servers and clean up.
    raise SystemExit(128 + signal.SIGTERM)


def prepare_to_run() -> bool:
    """Clean up on SIGTERM as on Ctrl-C; False (said on stderr) when wrk is missing."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return False
    return True


def main() -> int:
    args = parse_args()
    if not prepare_to_run():
        return 2
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="tariffconnect-bench-") as work:
            results = [bench_bare(Path(work), args)]
            for database in databases:
                results += bench_tariffconnect(Path(work), database, args)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    table, verdict = render_table(results), render_verdict(results)
    print(f"{table}\n\n{verdict}")
    report = write_report(table, verdict, machine_facts(args, databases, load_before))
    print(f"\nwritten to {report.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
