"""GET /metrics (Prometheus text) behind its token, and the structured request log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.core import logs
from tests.conftest import make_tenant
from tests.helpers import assert_error

TOKEN = "metrics-token-for-tests"


@contextmanager
def service(settings, database, **changes: object) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=changes), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics_are_off_without_a_token(client):
    assert_error(client.get("/metrics"), 404, "not_found")


def test_metrics_want_their_token(settings, database):
    with service(settings, database, metrics_token=TOKEN) as client:
        assert_error(client.get("/metrics"), 401, "metrics_token_invalid")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert_error(wrong, 401, "metrics_token_invalid")


def test_requests_are_counted_by_route_template_method_and_status(settings, database, client):
    tenant = make_tenant(client, database)
    with service(settings, database, metrics_token=TOKEN) as metered:
        headers = tenant.test  # a GET /login on the session's app, not counted here
        for _ in range(3):
            assert metered.get("/account", headers=headers).status_code == 200
        assert metered.get("/locations/loc_" + "0" * 24, headers=headers).status_code == 404
        samples = scrape(metered)
    account = 'tariffconnect_requests_total{method="GET",route="/account",status="200"}'
    missing = (
        'tariffconnect_requests_total{method="GET",route="/locations/{location_id}",status="404"}'
    )
    assert (samples[account], samples[missing]) == (3.0, 1.0)
    latency = 'tariffconnect_request_duration_seconds_count{method="GET",route="/account"}'
    assert samples[latency] == 3.0
    assert samples["tariffconnect_database_up"] == 1.0
    assert samples["tariffconnect_db_pool_size"] >= 1.0
    for queue in ("jobs", "webhook_deliveries"):
        assert samples[f"tariffconnect_{queue}_due"] >= 0.0
        assert samples[f"tariffconnect_{queue}_oldest_due_seconds"] >= 0.0


def test_the_request_log_names_the_route_not_the_path(settings, database, client, caplog):
    tenant = make_tenant(client, database)
    with service(settings, database, access_log=True) as logged:
        headers = tenant.test
        with caplog.at_level(logging.INFO, logger="tariffconnect.request"):
            response = logged.get("/locations/loc_" + "1" * 24 + "?secret=x", headers=headers)
    (record,) = [r for r in caplog.records if r.name == "tariffconnect.request"]
    line = json.loads(logs.JsonFormatter().format(record))
    assert {k: line[k] for k in ("route", "method", "status", "message")} == {
        "route": "/locations/{location_id}",
        "method": "GET",
        "status": 404,
        "message": "GET /locations/{location_id} 404",
    }
    assert line["duration_ms"] >= 0
    assert "secret" not in json.dumps(line) and ("1" * 24) not in json.dumps(line)
    assert response.headers["request-id"].startswith("req_")


def test_json_lines_carry_the_request_id_of_their_request():
    fields = {"name": "tariffconnect.x", "msg": "hello %s", "args": ("a",), "levelname": "INFO"}
    record = logging.makeLogRecord(fields)
    context = logs.request_id.set("req_0123")
    try:
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(context)
    assert {k: line[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "INFO",
        "logger": "tariffconnect.x",
        "message": "hello a",
        "request_id": "req_0123",
    }
