"""The market room's periodic work on the job runner: the day-ahead fetch and the back-check."""

from __future__ import annotations

from datetime import timedelta

from tariffconnect.jobs import DailyAt, Every, PeriodicTask, TaskContext
from tariffconnect.market import fetching, ingest, sources
from tariffconnect.market.publication import RETRY_EVERY


def fetch_day_ahead(context: TaskContext) -> str:
    """Fetch what each source still lacks of today and (once published) tomorrow.

    It runs every 15 minutes and asks only for what is missing, so after the publication time
    it retries every 15 minutes until the next day is in, and costs one read per source after.
    """
    runtime, now = context.runtime, context.now
    plan = []
    for source in sources.all_sources():
        days = fetching.days_needed(runtime.db, source, now=now)
        if days is not None:
            plan.append((source, *days))
    if not plan:
        return "nothing missing"
    outcomes = fetching.fetch_many(runtime.settings, runtime.db, plan, now=now, track=context.track)
    return fetching.summary(outcomes)


def back_check(context: TaskContext) -> str:
    """Fetch the last 7 days again, so that corrected publications replace what was stored."""
    runtime, now = context.runtime, context.now
    plan = []
    for source in sources.all_sources():
        today = now.astimezone(ingest.delivery_zone(source)).date()
        plan.append((source, today - timedelta(days=fetching.BACK_CHECK_DAYS), today))
    outcomes = fetching.fetch_many(runtime.settings, runtime.db, plan, now=now, track=context.track)
    return fetching.summary(outcomes)


TASKS = [
    PeriodicTask(
        name="market.day_ahead",
        schedule=Every(RETRY_EVERY),
        run=fetch_day_ahead,
        jitter=timedelta(minutes=1),
        lease=timedelta(minutes=10),
    ),
    PeriodicTask(
        name="market.back_check",
        schedule=DailyAt(("03:30",), zone="Europe/Brussels"),
        run=back_check,
        jitter=timedelta(minutes=10),
        lease=timedelta(minutes=30),
    ),
]
