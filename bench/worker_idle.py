"""The job runner's idle cost, beside the worker it replaced, and webhook delivery before/after.

Idle: an idle `tariffconnect worker` (no deliveries, no due task) on a fresh database, for
`--seconds`, after `--warmup`: the CPU time it used (user + system, from /proc) and the share of
one core. The baseline is the same command on the code of `--baseline` (a git revision, checked
out under bench/out/ and put first on PYTHONPATH; the venv's packages are shared). All four
workers (new and baseline, SQLite and PostgreSQL) idle at the same time, so they see the same
machine.

Delivery (`--deliveries`): bench/webhooks.py run once on the baseline code and once on this
code, one after the other, its summaries printed side by side.

    .venv/bin/python bench/worker_idle.py [--seconds 60] [--baseline 5d8110e] [--deliveries]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Idle:
    code: str  # "this" or the baseline revision
    database: str
    process: subprocess.Popen[bytes]
    cpu_start: float = 0.0
    cpu_end: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its children that were waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS


def baseline_tree(revision: str) -> Path:
    """A checkout of `revision` under bench/out (made once, reused)."""
    tree = OUT / f"baseline-{revision}"
    if not tree.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision],
            check=True,
            capture_output=True,
        )
    return tree


def pg_database() -> str:
    from sqlalchemy import create_engine, text

    name = f"tc_bench_idle_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def env_for(code_src: Path | None, url: str, data_dir: str) -> dict[str, str]:
    env = os.environ | {
        "TARIFFCONNECT_DATABASE_URL": url,
        "TARIFFCONNECT_DATA_DIR": data_dir,
        "TARIFFCONNECT_DEMO_ACCOUNT": "false",
    }
    if code_src is not None:
        env["PYTHONPATH"] = str(code_src)
    return env


def measure_idle(args: argparse.Namespace, baseline_src: Path) -> list[Idle]:
    tmp = tempfile.mkdtemp(prefix="worker-idle-")
    databases: list[str] = []
    idles: list[Idle] = []
    try:
        for code, src in (("this", None), (args.baseline, baseline_src)):
            for database in args.databases:
                if database == "sqlite":
                    url = f"sqlite:///{tmp}/{code}-{database}.db"
                else:
                    name = pg_database()
                    databases.append(name)
                    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                data_dir = f"{tmp}/{code}-{database}"
                process = subprocess.Popen(
                    [sys.executable, "-m", "tariffconnect", "worker"],
                    env=env_for(src, url, data_dir),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                idles.append(Idle(code, database, process))
        time.sleep(args.warmup)
        for idle in idles:
            if idle.process.poll() is not None:
                raise RuntimeError(f"{idle.code} worker on {idle.database} exited early")
            idle.cpu_start = cpu_seconds(idle.process.pid)
        time.sleep(args.seconds)
        for idle in idles:
            idle.cpu_end = cpu_seconds(idle.process.pid)
    finally:
        for idle in idles:
            idle.process.terminate()
            idle.process.wait(timeout=30)
        for name in databases:
            drop_pg(name)
    return idles


def idle_table(idles: list[Idle], seconds: float) -> str:
    rows = [
        "| worker | database | CPU seconds in the window | share of one core |",
        "|---|---|---|---|",
    ]
    for idle in idles:
        used = idle.cpu_end - idle.cpu_start
        rows.append(
            f"| {idle.code} | {idle.database} | {used:.2f} of {seconds:.0f} s | "
            f"{100 * used / seconds:.2f}% |"
        )
    return "\n".join(rows)


def deliveries(args: argparse.Namespace, baseline_src: Path) -> str:
    """bench/webhooks.py on the baseline, then on this code; their printed summaries."""
    parts = []
    for code, src in ((args.baseline, baseline_src), ("this", None)):
        env = os.environ.copy()
        if src is not None:
            env["PYTHONPATH"] = str(src)
        done = subprocess.run(
            [sys.executable, str(REPO / "bench" / "webhooks.py"), *args.webhooks_args.split()],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        parts.append(f"### webhook delivery, code: {code}\n\n{done.stdout.strip()}")
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the idle window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before it starts")
    parser.add_argument("--baseline", default="5d8110e", help="git revision to compare with")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--deliveries", action="store_true", help="also run bench/webhooks.py")
    parser.add_argument("--webhooks-args", default="--events 3000 --seconds 10")
    args = parser.parse_args()
    args.databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    baseline_src = baseline_tree(args.baseline) / "src"
    idles = measure_idle(args, baseline_src)
    report = [
        "# Worker idle cost",
        f"{args.seconds:.0f} s idle after {args.warmup:.0f} s of warm-up; baseline "
        f"{args.baseline}; {os.cpu_count()} cores",
        idle_table(idles, args.seconds),
    ]
    if args.deliveries:
        report.append(deliveries(args, baseline_src))
    text = "\n\n".join(report) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"worker_idle-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
