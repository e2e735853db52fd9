"""Request metrics for GET /metrics (Prometheus text format): counts and latencies by route.

Each app has its own registry (a process may build several apps: the tests do), and counts
its own requests: with several processes, scrape each, as Prometheus does with replicas.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Up to the request deadline (15 s): past it every answer is a 503 anyway.
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._answered = Counter(
            "tariffconnect_requests",
            "Requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "tariffconnect_request_duration_seconds",
            "Time from the request's arrival to its answer, by route template and method.",
            ["route", "method"],
            buckets=_BUCKETS,
            registry=registry,
        )

    def observe(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self._answered.labels(route, method, str(status)).inc()
        self._latency.labels(route, method).observe(seconds)
