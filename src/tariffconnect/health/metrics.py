"""GET /metrics: the service's state for Prometheus, read when scraped.

Besides the request counts and latencies (core/metrics.py): the database pool's use, the
queues' depth and the age of their oldest due item (queued jobs, webhook deliveries), and how
far each market source's published prices reach (a feed that stopped shows as a horizon
falling behind). Read in one short read transaction per scrape; if the database does not
answer, `tariffconnect_database_up` is 0 and the rest is left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from tariffconnect.core.errors import DATABASE_ERRORS
from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.jobs.models import QUEUED, QueuedJob
from tariffconnect.market.models import MarketSourceVersion
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks.models import PENDING, WebhookDelivery

log = logging.getLogger("tariffconnect.metrics")


def _age(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max(0.0, (now - as_utc(since)).total_seconds())


class StateCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.runtime.db.engine.pool
        size = GaugeMetricFamily("tariffconnect_db_pool_size", "Pooled database connections.")
        size.add_metric([], float(getattr(pool, "size", lambda: 0)()))
        used = GaugeMetricFamily(
            "tariffconnect_db_pool_checked_out", "Pooled connections in use now."
        )
        used.add_metric([], float(getattr(pool, "checkedout", lambda: 0)()))
        yield size
        yield used
        up = GaugeMetricFamily("tariffconnect_database_up", "1 when the database answered.")
        try:
            families = list(self._from_database())
        except DATABASE_ERRORS:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families

    def _from_database(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.runtime.db.transaction(write=False) as session:
            jobs = session.execute(
                select(func.count(), func.min(QueuedJob.run_after)).where(
                    QueuedJob.status == QUEUED, QueuedJob.run_after <= now
                )
            ).one()
            deliveries = session.execute(
                select(func.count(), func.min(WebhookDelivery.next_attempt_at)).where(
                    WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now
                )
            ).one()
            horizons = session.execute(
                select(MarketSourceVersion.source_id, MarketSourceVersion.published_until)
            ).all()
        for name, what, (count, oldest) in (
            ("jobs", "queued jobs", jobs),
            ("webhook_deliveries", "webhook deliveries", deliveries),
        ):
            depth = GaugeMetricFamily(f"tariffconnect_{name}_due", f"Due {what}.")
            depth.add_metric([], float(count))
            age = GaugeMetricFamily(
                f"tariffconnect_{name}_oldest_due_seconds",
                f"How long the oldest due of the {what} has waited (0: none).",
            )
            age.add_metric([], _age(now, oldest))
            yield depth
            yield age
        ahead = GaugeMetricFamily(
            "tariffconnect_market_published_ahead_seconds",
            "How far past now each market source's published prices reach (negative: behind).",
            labels=["source_id"],
        )
        for source_id, until in horizons:
            ahead.add_metric([source_id], (as_utc(until) - now).total_seconds())
        yield ahead
