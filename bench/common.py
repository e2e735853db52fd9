"""What every benchmark shares: arguments, servers, databases, wrk, py-spy and the report.

- arguments: `new_parser`, `add_database_arguments`, `add_wrk_arguments`, `databases`;
- running: `start_run` (SIGTERM cleans up like Ctrl-C; wrk present), `in_work_folder`;
- servers: `serve_tariffconnect` (a real `tariffconnect serve` on a fresh data folder and, for
  PostgreSQL, a fresh database), `serve_bare` (bench/bare_app.py), `running`, `stop`;
- requests: `create_account` (the CLI), `auth_headers`, `expect_ok`, `post_json`;
- wrk: `measure` (failed responses end the run), `measure_row` (they mark the row; CPU per
  request from /proc);
- py-spy: `profile_under_wrk`, `py_spy_record`, `folded_stacks`, `shares`, `package_of`;
- the report: `machine_facts`, `wrk_facts`, `write_markdown`, `percentile`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tariffconnect.config import Settings

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
PACKAGES = (
    *("uvicorn", "uvloop", "httptools", "starlette", "fastapi", "sqlalchemy", "psycopg"),
    *("pydantic", "orjson", "httpx"),
)
DATABASES = ("sqlite", "postgresql")
BARE_NAME = "bare GET /"
JSON = {"Content-Type": "application/json"}
TOP = 15  # rows per profile breakdown

T = TypeVar("T")


# Benchmarks never reach a public price feed: the servers and workers they start inherit
# feed URLs on a closed local port.
for _feed in ("ENTSOE", "ENERGY_CHARTS", "ELEXON", "OCTOPUS", "ECB"):
    os.environ.setdefault(f"TARIFFCONNECT_{_feed}_URL", "http://127.0.0.1:9")


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
class Row:
    """A wrk run that went on despite failed responses, with what a request cost in CPU."""

    result: Result
    failure: str | None = None  # wrk's line counting failed responses: figures incomplete
    # CPU time per request of the server process and of its PostgreSQL backends: it says
    # what a request costs rather than how much CPU the server got, so it moves less than
    # requests/s when other work shares the machine (though shared cores run slower too).
    server_cpu_ms: float | None = None
    postgres_cpu_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Server:
    """A running server (bare app or `tariffconnect serve`) and how to talk to it."""

    base_url: str
    env: dict[str, str]  # the server's environment, for CLI commands on the same data
    database_url: str  # SQLAlchemy URL; empty for SQLite in the data folder or no database
    pid: int

    @property
    def sqlalchemy_url(self) -> str:
        """The URL the server uses (its settings, resolved as it resolves them)."""
        data_dir = Path(self.env["TARIFFCONNECT_DATA_DIR"])
        return Settings(data_dir=data_dir, database_url=self.database_url).database_url_resolved


# --- arguments and running -------------------------------------------------------------------


def new_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first line of the script's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def add_database_arguments(parser: argparse.ArgumentParser, *, choose: bool = True) -> None:
    """`--database` (unless the benchmark runs on PostgreSQL only) and `--postgres-url`."""
    if choose:
        parser.add_argument("--database", choices=(*DATABASES, "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="libpq URL of a database to connect to for CREATE/DROP DATABASE",
    )


def add_wrk_arguments(parser: argparse.ArgumentParser, *, duration: int, connections: int) -> None:
    parser.add_argument("--duration", type=int, default=duration, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=connections, help="wrk connections")


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


def add_env_argument(parser: argparse.ArgumentParser) -> None:
    """`--env NAME=VALUE` (repeatable): the servers' environment; `args.env` is a list of pairs."""
    parser.add_argument(
        "--env",
        action="append",
        type=_env_pair,
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the servers (repeatable): a TARIFFCONNECT_ setting, "
        "MALLOC_ARENA_MAX",
    )


def databases(args: argparse.Namespace) -> list[str]:
    """The databases `--database` names, in the order they are run."""
    return list(DATABASES) if args.database == "both" else [args.database]


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # SystemExit unwinds through the `finally` blocks, which stop the servers and clean up.
    raise SystemExit(128 + signal.SIGTERM)


def start_run(*, needs_wrk: bool = True) -> float:
    """Clean up on SIGTERM as on Ctrl-C, check that wrk is there (exit 2 if it is needed and
    missing) and return the load average the run starts with, for `machine_facts`."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if needs_wrk and shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        raise SystemExit(2)
    return os.getloadavg()[0]


def in_work_folder(run: Callable[[Path], T]) -> T:
    """`run(folder)` in a temporary folder removed afterwards; a BenchError exits with 1."""
    try:
        with tempfile.TemporaryDirectory(prefix="tariffconnect-bench-") as work:
            return run(Path(work))
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        raise SystemExit(1) from None


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):  # not listening yet
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {READY_TIMEOUT_SECONDS}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process's whole group, so no worker it forked outlives the benchmark."""
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


@contextlib.contextmanager
def serve_bare(work: Path, app: str = "app") -> Iterator[Server]:
    """An app of bench/bare_app.py (`app`: Starlette, `fastapi_app`: FastAPI) served by uvicorn
    as `tariffconnect serve` serves TariffConnect."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    # As `tariffconnect serve` calls uvicorn.run: loop and http "auto", log level info, and
    # the access log off (its default; TARIFFCONNECT_ACCESS_LOG).
    command = [
        *(sys.executable, "-m", "uvicorn", f"bench.bare_app:{app}"),
        *("--host", HOST, "--port", str(port), "--workers", str(WORKERS), "--log-level", "info"),
        "--no-access-log",
    ]
    env = dict(os.environ)
    log_path = work / f"bare-{app}.log"
    with running(command, env=env, log_path=log_path, ready_url=f"{url}/") as process:
        yield Server(base_url=url, env=env, database_url="", pid=process.pid)


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database for one run; yields its SQLAlchemy URL and drops it afterwards."""
    name = f"tariffconnect_bench_{os.getpid()}_{int(time.time())}_{secrets.token_hex(3)}"
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


@contextlib.contextmanager
def serve_tariffconnect(
    work: Path, database: str, postgres_url: str, *, env: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """`tariffconnect serve` on a fresh data folder (and a fresh PostgreSQL database).

    `env` adds TARIFFCONNECT_ settings; `Server.env` holds them too, for CLI commands and
    `tariffconnect worker` processes on the same data.
    """
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        *(str(BIN_DIR / "tariffconnect"), "serve"),
        *("--host", HOST, "--port", str(port), "--workers", str(WORKERS)),
    ]
    with database_url(database, postgres_url) as url:
        server_env = {
            **os.environ,
            "TARIFFCONNECT_DATA_DIR": str(work / f"data-{database}"),
            "TARIFFCONNECT_DATABASE_URL": url,
            # The benchmark makes its own account with the CLI; a demo account would be noise.
            "TARIFFCONNECT_DEMO_ACCOUNT": "false",
            # One token sends thousands of requests a second: measure the service, not its
            # rate limits (still counted on every request, as in production).
            **{
                f"TARIFFCONNECT_RATE_LIMIT_{name}": "100000000/second"
                for name in ("LOGIN_ADDRESS", "LOGIN_ACCOUNT", "API", "CONNECT")
            },
            **(env or {}),
        }
        log_path = work / f"tariffconnect-{database}.log"
        ready_url = f"{base_url}/health"
        with running(command, env=server_env, log_path=log_path, ready_url=ready_url) as proc:
            yield Server(base_url=base_url, env=server_env, database_url=url, pid=proc.pid)


# --- requests made once, outside the measured runs ---------------------------------------------


def create_account(env: dict[str, str]) -> dict[str, str]:
    """An account with a test and a live key, made with `tariffconnect account create --json`."""
    command = [str(BIN_DIR / "tariffconnect"), "account", "create", "--json"]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    account: dict[str, str] = json.loads(done.stdout)
    return account


def expect_ok(url: str, headers: dict[str, str]) -> bytes:
    response = httpx.get(url, headers=headers, timeout=5)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}: {response.content!r}")
    return response.content


def post_json(client: httpx.Client, path: str, body: object, *, expect: int) -> dict[str, Any]:
    """POST a JSON body; the decoded answer, or BenchError if the status is not `expect`."""
    response = client.post(path, content=json.dumps(body), headers=JSON)
    if response.status_code != expect:
        raise BenchError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
    answer: dict[str, Any] = response.json()
    return answer


def auth_headers(base_url: str, account: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The Basic header for GET /login and the Bearer header it buys, both checked once."""
    credentials = f"{account['account_id']}:{account['test_api_key']}".encode()
    basic = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
    token = json.loads(expect_ok(f"{base_url}/login", basic))["bearer_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    if json.loads(expect_ok(f"{base_url}/account", bearer))["id"] != account["account_id"]:
        raise BenchError("GET /account answered another account")
    return basic, bearer


# --- wrk -------------------------------------------------------------------------------------

_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
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


def _percentile_ms(output: str, percent: int) -> float:
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
        p50_ms=_percentile_ms(output, 50),
        p99_ms=_percentile_ms(output, 99),
    )


def measure(target: Target, args: argparse.Namespace) -> Result:
    """A warm-up, then a measured wrk run; any failed response ends the benchmark."""
    # The warm-up pays for first-request costs (lazy imports, pool connections) outside the run.
    for seconds in (WARMUP_SECONDS, args.duration):
        output = wrk_output(target, seconds=seconds, connections=args.connections)
        failed = wrk_failure(output)
        if failed:
            raise BenchError(f"{target.name} ({target.database}): {failed}\n{output}")
    result = parse_wrk(target, output)
    rate = result.requests_per_second
    print(f"  {target.name} ({target.database}): {rate:.0f} req/s", file=sys.stderr)
    return result


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        # proc(5): utime and stime are fields 14 and 15; split after the `(comm)` field,
        # which may hold spaces, they are the 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_backends(server: Server) -> list[int]:
    """The pids of the PostgreSQL connections to the server's database (its pool's too)."""
    if not server.database_url:
        return []
    with psycopg.connect(libpq_url(server.database_url)) as connection:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        query += " AND pid <> pg_backend_pid()"
        return [int(pid) for (pid,) in connection.execute(query)]


def measure_row(target: Target, server: Server, args: argparse.Namespace) -> Row:
    """Like `measure`, but failed responses mark the row instead of ending the run.

    (A wrk timeout, for one, is a response slower than 2 s, not a lost one: the figures around
    it still say something.)
    """
    wrk_output(target, seconds=WARMUP_SECONDS, connections=args.connections)
    backends = postgres_backends(server)  # after the warm-up has filled the pool
    server_before, postgres_before = cpu_seconds([server.pid]), cpu_seconds(backends)
    output = wrk_output(target, seconds=args.duration, connections=args.connections)
    server_cpu, postgres_cpu = cpu_seconds([server.pid]), cpu_seconds(backends)
    requests = _REQUESTS.search(output)
    if requests is None:
        raise BenchError(f"no request count in wrk's output:\n{output}")
    per_request_ms = 1000 / int(requests.group(1))
    row = Row(
        parse_wrk(target, output),
        wrk_failure(output),
        server_cpu_ms=(server_cpu - server_before) * per_request_ms,
        postgres_cpu_ms=(postgres_cpu - postgres_before) * per_request_ms if backends else None,
    )
    flag = f", FAILED: {row.failure}" if row.failure else ""
    rate = row.result.requests_per_second
    print(f"  {target.name} ({target.database}): {rate:.0f} req/s{flag}", file=sys.stderr)
    return row


# --- py-spy ----------------------------------------------------------------------------------


def py_spy_record(pid: int, seconds: int, path: Path, *, gil: bool = False) -> None:
    """Sample the process for `seconds` into `path` (raw folded stacks)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        *(str(BIN_DIR / "py-spy"), "record", "-p", str(pid), "-d", str(seconds)),
        *("-f", "raw", "-o", str(path), "--nonblocking"),
        # --gil: only samples of the thread holding the GIL. One worker process can run Python
        # on one core at a time, so the GIL is what limits its throughput; waits for the
        # database or for a thread would otherwise crowd the picture.
        *(["--gil"] if gil else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not path.exists():
        raise BenchError(f"py-spy failed: {done.stderr.strip()[-400:]}")


def profile_path(stem: str, target: Target) -> Path:
    """bench/out/<stem>-<database>-<target name as a slug>-<pid>.folded"""
    slug = re.sub(r"[^a-z0-9]+", "-", target.name.lower()).strip("-")
    return OUT_DIR / f"{stem}-{target.database}-{slug}-{os.getpid()}.folded"


def profile_under_wrk(
    pid: int, target: Target, *, seconds: int, connections: int, stem: str
) -> Path:
    """Sample the server with py-spy (--gil) while wrk loads `target`; the folded stacks' path."""
    path = profile_path(stem, target)
    # wrk runs a little longer than py-spy so that every sample is taken under full load.
    load = threading.Thread(
        target=wrk_output,
        args=(target,),
        kwargs={"seconds": seconds + 2, "connections": connections},
    )
    load.start()
    try:
        py_spy_record(pid, seconds, path, gil=True)
    finally:
        load.join()
    print(f"  profiled {target.name} ({target.database}) into {path}", file=sys.stderr)
    return path


_LINE_NUMBER = re.compile(r":\d+\)$")


def folded_stacks(path: Path) -> Iterable[tuple[list[str], int]]:
    """(frames, samples) per line of py-spy's raw output, outermost frame first.

    Frames are `function (file)`: without the line number, the lines of one function add up.
    """
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            yield [_LINE_NUMBER.sub(")", frame) for frame in stack.split(";")], int(count)


def module_path(frame: str) -> str:
    """`sqlalchemy/orm/loading.py` out of `instances (sqlalchemy/orm/loading.py)`."""
    return frame.rpartition(" (")[2].rstrip(")")


def package_of(frame: str) -> str:
    """The distribution a frame's code belongs to; the standard library as one."""
    top = module_path(frame).split("/")[0].removesuffix(".py")
    if top in sys.stdlib_module_names:
        return "stdlib"
    return top if top.isidentifier() else "other"  # `<string>`: generated code


def shares(
    path: Path, key: Callable[[list[str]], Iterable[str]], *, top: int = TOP
) -> list[tuple[str, float]]:
    """Share of samples per key, largest first; a stack counts once for each key it yields."""
    counts: Counter[str] = Counter()
    total = 0
    for frames, samples in folded_stacks(path):
        total += samples
        for name in set(key(frames)):
            counts[name] += samples
    return [(name, count / total) for name, count in counts.most_common(top)]


def sample_count(path: Path) -> int:
    return sum(samples for _frames, samples in folded_stacks(path))


def tariffconnect_frames(frames: list[str]) -> list[str]:
    """The frames of TariffConnect's own code, for its inclusive time."""
    return [frame for frame in frames if module_path(frame).startswith("tariffconnect/")]


# --- the report --------------------------------------------------------------------------------


def timings_ms(call: Callable[[], object], rounds: int) -> list[float]:
    """Wall-clock milliseconds of `rounds` sequential calls."""
    took = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        took.append((time.perf_counter() - began) * 1e3)
    return took


def latency_table(rows: Iterable[tuple[str, str, int, float, float, float | None]]) -> str:
    """A markdown table of sequential-request latencies: (request, database, body bytes, p50 ms,
    p99 ms, target p50 ms or None) per row."""
    lines = [
        "| request | database | body KB | p50 ms | p99 ms | target p50 ms | met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, database, body_bytes, p50, p99, target_ms in rows:
        target = "" if target_ms is None else f"{target_ms:g}"
        met = "" if target_ms is None else ("yes" if p50 <= target_ms else "NO")
        lines.append(
            f"| {name} | {database} | {body_bytes / 1024:.1f} | {p50:.2f} | {p99:.2f} "
            f"| {target} | {met} |"
        )
    return "\n".join(lines)


def percentile(samples: Sequence[float], percent: int) -> float:
    """The `percent`th percentile, interpolated between the samples around it."""
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def rows_table(rows: Sequence[Row], *, baseline: float, baseline_name: str) -> str:
    """The wrk rows as a markdown table, with each row's throughput as a ratio to `baseline`
    (requests/s of the row named `baseline_name` in the header)."""
    lines = [
        "| target | database | requests/s | p50 ms | p99 ms | ratio to "
        f"{baseline_name} | server CPU ms/req | PostgreSQL CPU ms/req | failed responses |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        r = row.result
        lines.append(
            f"| {r.target.name} | {r.target.database} | {r.requests_per_second:.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests_per_second / baseline:.2f} "
            f"| {format_ms(row.server_cpu_ms)} | {format_ms(row.postgres_cpu_ms)} "
            f"| {row.failure or 'none'} |"
        )
    return "\n".join(lines)


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _first_line(command: Sequence[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _postgres_version(admin_url: str) -> str:
    with psycopg.connect(admin_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    status = ["git", "-C", str(REPO), "status", "--porcelain"]
    changed = subprocess.run(status, capture_output=True, text=True, check=False).stdout.strip()
    return f"{commit}, with uncommitted changes" if changed else commit


def machine_facts(
    args: argparse.Namespace,
    *,
    load_before: float,
    databases: Sequence[str] = (),
    details: Sequence[str] = (),
) -> list[str]:
    """The run's circumstances as markdown list items: machine, code, versions, then `details`.

    Called when the run is over, it reads the load average again: other work on the machine
    skews every figure, so the report says how busy it was before and after.
    """
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    load_after = os.getloadavg()[0]
    facts = [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"command: {' '.join([os.path.relpath(sys.executable, REPO), *sys.argv])}",
        f"code: {_code_version()}",
        f"nproc: {len(os.sched_getaffinity(0))} ({_cpu_model()})",
        f"os: {platform.platform()}",
        f"load average (1 min) before / after the run: {load_before:.2f} / {load_after:.2f}",
        f"python: {platform.python_version()}",
        *details,
        f"packages: {versions}",
    ]
    if "postgresql" in databases:
        facts.append(f"postgresql: {_postgres_version(args.postgres_url)} (local, TCP)")
    return [f"- {fact}" for fact in facts]


def wrk_facts(args: argparse.Namespace) -> list[str]:
    """`machine_facts` details of a wrk benchmark: wrk, its settings, the server."""
    return [
        f"wrk: {_first_line(['wrk', '-v'])}",
        f"wrk settings: -t{WRK_THREADS} -c{args.connections} -d{args.duration}s --latency, "
        f"after a {WARMUP_SECONDS}s warm-up",
        f"server: uvicorn, {WORKERS} worker, access log off, log level info",
    ]


def write_markdown(stem: str, sections: Sequence[str]) -> Path:
    """Write `bench/out/<stem>-<UTC timestamp>.md` (earlier runs are kept) and say where."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = OUT_DIR / f"{stem}-{stamp}.md"
    path.write_text("\n\n".join(sections) + "\n")
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return path
