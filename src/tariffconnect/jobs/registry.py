"""What a domain declares in its `tasks.py`: periodic tasks and queued-job handlers.

The runner knows no domain. The top floor (app and cli) collects every domain's declarations
into one `Registry` and hands it to the runner, so a new capability adds a `tasks.py` and one
line where the registry is assembled (tariffconnect/worker.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from tariffconnect.jobs.schedule import Schedule
from tariffconnect.runtime import Runtime

T = TypeVar("T")
# Wraps an iteration to show its progress (`tariffconnect jobs run` draws a bar); a no-op in
# the worker.
Tracker = Callable[[Sequence[Any], str], Iterable[Any]]


def _untracked(items: Sequence[Any], _description: str) -> Iterable[Any]:
    return items


@dataclass(frozen=True, slots=True)
class TaskContext:
    """What a running task or job gets: the service's runtime, the time it was started, the
    due time it runs for (periodic tasks only), and a way to show progress where it iterates."""

    runtime: Runtime
    now: datetime
    due: datetime | None = None
    tracker: Tracker = _untracked

    def track(self, items: Sequence[T], description: str) -> Iterator[T]:
        """Iterate `items`, showing progress when run from the command line."""
        yield from self.tracker(items, description)


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """A task run at most once per due time across every worker process.

    `run` returns a short summary for `jobs status` (or None). A task that may outlive its
    `lease` has its lease renewed while its worker lives; a worker that dies leaves the lease
    to run out, and another worker runs the task again.
    """

    name: str
    schedule: Schedule
    run: Callable[[TaskContext], str | None]
    jitter: timedelta = timedelta(0)
    lease: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class JobHandler:
    """Runs the queued jobs of one name. The payload is parsed with `payload` first: a payload
    that no longer parses makes the job dead at once (retrying cannot fix it)."""

    name: str
    payload: type[BaseModel]
    run: Callable[[TaskContext, Any], str | None]
    max_attempts: int | None = None  # None: the setting `job_max_attempts`


@dataclass(frozen=True, slots=True)
class Registry:
    periodic: tuple[PeriodicTask, ...] = ()
    handlers: tuple[JobHandler, ...] = ()
    _by_name: dict[str, PeriodicTask] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        names = [task.name for task in self.periodic] + [h.name for h in self.handlers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"declared twice: {', '.join(repeated)}")
        self._by_name.update({task.name: task for task in self.periodic})

    def task(self, name: str) -> PeriodicTask | None:
        return self._by_name.get(name)

    def handler(self, name: str) -> JobHandler | None:
        return next((h for h in self.handlers if h.name == name), None)

    @classmethod
    def of(cls, *declarations: Iterable[PeriodicTask | JobHandler]) -> Registry:
        """One registry from each domain's `TASKS` list."""
        items = [item for group in declarations for item in group]
        return cls(
            periodic=tuple(i for i in items if isinstance(i, PeriodicTask)),
            handlers=tuple(i for i in items if isinstance(i, JobHandler)),
        )
