"""The background worker, assembled: every domain's tasks on one runner, with the webhook
delivery pump. `tariffconnect worker` (cli/server.py) runs it as a process; `serve` runs it
in-process unless TARIFFCONNECT_WORKER_IN_PROCESS=false."""

from __future__ import annotations

from tariffconnect import hooks
from tariffconnect.integrations import tasks as integrations_tasks
from tariffconnect.jobs import Registry
from tariffconnect.jobs import tasks as jobs_tasks
from tariffconnect.jobs.runner import Runner
from tariffconnect.market import tasks as market_tasks
from tariffconnect.meters import tasks as meters_tasks
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import tasks as tariffs_tasks
from tariffconnect.webhooks.delivery import DeliveryPump


def build_registry() -> Registry:
    """Every periodic task and job handler the service declares (one line per domain)."""
    return Registry.of(
        tariffs_tasks.TASKS,
        market_tasks.TASKS,
        jobs_tasks.TASKS,
        meters_tasks.TASKS,
        integrations_tasks.TASKS,
    )


def build_runner(runtime: Runtime) -> Runner:
    hooks.install()  # what the tasks record fans out (webhooks, location updates)
    return Runner(runtime, build_registry(), pumps=[DeliveryPump(runtime)])
