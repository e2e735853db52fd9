"""Job commands: `jobs status` (periodic tasks, queued jobs, workers) and `jobs run NAME`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.jobs import status as job_status
from tariffconnect.jobs.runner import TaskBusy, run_now
from tariffconnect.runtime import Runtime
from tariffconnect.worker import build_registry

T = TypeVar("T")
TaskName = Annotated[str, typer.Argument(help="A periodic task, e.g. tariffs.expiry_scan.")]
app = typer.Typer()
jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs: periodic tasks and queues.")
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("status")
def status(as_json: AsJson = False) -> None:
    """Each periodic task's last run, result and next due time; queued jobs by state."""
    settings = Settings()
    with open_database(settings) as db, db.transaction(write=False) as session:
        snapshot = job_status.snapshot(session, build_registry(), now=utcnow())
    if as_json:
        typer.echo(json.dumps(_as_json(snapshot), indent=2))
        return
    console = Console(width=140)
    tasks = Table("task", "schedule", "runs", "last run", "result", "next due", title="Periodic")
    for task in snapshot.tasks:
        result = (
            "never run"
            if task.last_status is None
            else f"{task.last_status}: {task.last_result or ''}"
        )
        tasks.add_row(
            task.name,
            task.schedule,
            str(task.runs),
            _when(task.last_started_at),
            result,
            f"running on {task.running_on}"
            if task.running_on
            else _when(task.next_due) or "when a worker starts",
        )
    console.print(tasks)
    queued = Table("job", *job_status.STATES, title="Queued jobs")
    for name, counts in snapshot.jobs.items():
        queued.add_row(name, *(str(counts[state]) for state in job_status.STATES))
    console.print(queued if snapshot.jobs else "Queued jobs: none declared or queued")
    alive = ", ".join(f"{w.id} ({w.hostname}, pid {w.pid})" for w in snapshot.workers)
    console.print(f"Workers alive: {len(snapshot.workers)}" + (f": {alive}" if alive else ""))


@jobs_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="A periodic task, e.g. tariffs.expiry_scan.")],
) -> None:
    """Run one periodic task now, in the foreground."""
    registry = build_registry()
    task = registry.task(name)
    if task is None:
        known = ", ".join(t.name for t in registry.periodic)
        typer.echo(f"error: no periodic task named {name!r} (there are: {known})", err=True)
        raise typer.Exit(2)
    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with open_database(settings) as db, Progress(transient=False) as progress:

        def track(items: Sequence[T], description: str) -> Iterator[T]:
            yield from progress.track(items, total=len(items), description=description)

        try:
            ok = run_now(Runtime(settings=settings, db=db), task, tracker=track)
        except TaskBusy as busy:
            raise fail(f"{name} is {busy}") from None
        with db.transaction(write=False) as session:
            row = job_status.snapshot(session, registry, now=utcnow())
    [done] = [t for t in row.tasks if t.name == name]
    typer.echo(f"{name}: {done.last_status}: {done.last_result or ''}")
    if not ok:
        raise typer.Exit(1)


def _when(value: datetime | None) -> str:
    return "" if value is None else format_utc(value)


def _result(task: job_status.TaskStatus) -> str:
    if task.last_status is None:
        return "never run"
    return f"{task.last_status}: {task.last_result or ''}"


def _next(task: job_status.TaskStatus) -> str:
    if task.running_on:
        return f"running on {task.running_on}"
    return _when(task.next_due) or "when a worker starts"


def _as_json(snapshot: job_status.Status) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return None if value is None else format_utc(value)

    return {
        "periodic": [
            {
                "name": t.name,
                "schedule": t.schedule,
                "runs": t.runs,
                "last_run": when(t.last_started_at),
                "last_status": t.last_status,
                "last_result": t.last_result,
                "next_due": when(t.next_due),
                "running_on": t.running_on,
            }
            for t in snapshot.tasks
        ],
        "jobs": snapshot.jobs,
        "workers": [
            {"id": w.id, "hostname": w.hostname, "pid": w.pid, "last_seen": when(w.last_seen)}
            for w in snapshot.workers
        ],
    }
