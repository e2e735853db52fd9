"""The job runner's idle cost beside the worker it replaced, and webhook delivery before/after.

Idle: an idle `tariffconnect worker` (no deliveries, no due task) on a fresh database, for
`--seconds` after `--warmup`: the CPU time it used (user + system, from /proc) and its share of
one core. The baseline is the same command on the code of `--baseline` (a git revision, checked
out under bench/out/ and put first on PYTHONPATH; the venv's packages are shared). All the
workers (this code and the baseline, on each database) idle at the same time, so they see the
same machine.

Delivery (`--deliveries`): bench/webhooks.py once on the baseline's code and once on this
code, back to back, their reports side by side.

    .venv/bin/python bench/worker_idle.py [--seconds 60] [--baseline 5d8110e] [--deliveries]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    OUT_DIR,
    REPO,
    add_database_arguments,
    cpu_seconds,
    database_url,
    databases,
    in_work_folder,
    machine_facts,
    new_parser,
    start_run,
    write_markdown,
)

THIS = "this code"


@dataclass
class Idle:
    code: str
    database: str
    process: subprocess.Popen[bytes]
    used: float = 0.0


def baseline_source(revision: str) -> Path:
    """The `src` folder of a checkout of `revision` under bench/out (made once, then reused)."""
    tree = OUT_DIR / f"baseline-{revision}"
    if not tree.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        add = ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), revision]
        subprocess.run(add, check=True, capture_output=True)
    return tree / "src"


def code_env(source: Path | None) -> dict[str, str]:
    """The environment that runs `source`'s tariffconnect (None: this checkout's)."""
    env = os.environ | {"TARIFFCONNECT_DEMO_ACCOUNT": "false"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


def idle_workers(args: argparse.Namespace, work: Path, baseline: Path) -> list[Idle]:
    idles: list[Idle] = []
    with contextlib.ExitStack() as stack:
        for code, source in ((THIS, None), (args.baseline, baseline)):
            for database in databases(args):
                data_dir = work / f"{code.replace(' ', '-')}-{database}"
                url = stack.enter_context(database_url(database, args.postgres_url))
                env = code_env(source) | {"TARIFFCONNECT_DATA_DIR": str(data_dir)}
                if url:
                    env["TARIFFCONNECT_DATABASE_URL"] = url
                command = [sys.executable, "-m", "tariffconnect", "worker"]
                process = subprocess.Popen(
                    command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                stack.callback(_stop, process)
                idles.append(Idle(code, database, process))
        time.sleep(args.warmup)
        for idle in idles:
            if idle.process.poll() is not None:
                raise SystemExit(f"the {idle.code} worker on {idle.database} exited early")
            idle.used = -cpu_seconds([idle.process.pid])
        time.sleep(args.seconds)
        for idle in idles:
            idle.used += cpu_seconds([idle.process.pid])
    return idles


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def idle_table(idles: list[Idle], seconds: float) -> str:
    rows = ["| code | database | CPU seconds | share of one core |", "|---|---|---|---|"]
    for idle in idles:
        share = 100 * idle.used / seconds
        rows.append(f"| {idle.code} | {idle.database} | {idle.used:.2f} | {share:.2f}% |")
    return "\n".join(rows)


def delivery_reports(args: argparse.Namespace, baseline: Path) -> list[str]:
    """bench/webhooks.py on the baseline's code, then on this code: each one's printed report."""
    reports = []
    for code, source in ((args.baseline, baseline), (THIS, None)):
        command = [sys.executable, str(REPO / "bench" / "webhooks.py"), *args.webhooks.split()]
        done = subprocess.run(
            command, env=code_env(source), capture_output=True, text=True, check=True
        )
        reports.append(f"## Webhook delivery, {code}\n\n{done.stdout.strip()}")
    return reports


def main() -> None:
    parser = new_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the idle window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window")
    parser.add_argument("--baseline", default="5d8110e", help="git revision to compare with")
    parser.add_argument("--deliveries", action="store_true", help="also run bench/webhooks.py")
    parser.add_argument("--webhooks", default="--events 3000 --seconds 10", help="its arguments")
    add_database_arguments(parser)
    args = parser.parse_args()
    load_before = start_run(needs_wrk=False)
    baseline = baseline_source(args.baseline)
    idles = in_work_folder(lambda work: idle_workers(args, work, baseline))
    sections = [
        "# Worker idle cost",
        f"{args.seconds:g} s idle after {args.warmup:g} s of warm-up, beside {args.baseline}:",
        idle_table(idles, args.seconds),
    ]
    if args.deliveries:
        sections += delivery_reports(args, baseline)
    facts = machine_facts(args, load_before=load_before, databases=databases(args))
    sections += ["## Machine", "\n".join(facts)]
    print("\n\n".join(sections))
    write_markdown("worker_idle", sections)


if __name__ == "__main__":
    main()
