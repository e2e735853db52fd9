"""A bounded schemathesis run over /openapi.json: no 5xx, and every response matches the schema.

It grows with the API: every operation in the served schema is generated and checked.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tariffconnect.core.timeutil import utcnow
from tariffconnect.jobs import beats
from tests.conftest import make_tenant

EXAMPLES_PER_OPERATION = 25
# What the API promises: no 5xx, and every answer documented and shaped as documented.
# (Schemathesis' "schema-valid data must be accepted" check is left out: OpenAPI cannot say
# that two query parameters exclude each other, or that an id must name an existing object.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def worker_alive(database):
    """A worker's fresh heartbeat, so GET /health/worker answers 200 (its 503 is for when none
    runs, which tests/health covers)."""
    now = utcnow()
    with database.transaction() as session:
        beats.beat(session, worker_id="wrk_contract", poll_seconds=3600, started=now, now=now)
    yield
    with database.transaction() as session:
        beats.forget(session, worker_id="wrk_contract")


def test_api_conforms_to_its_schema(operations, client, database, worker_alive):
    bearer = make_tenant(client, database, name="Schemathesis").test
    assert len(operations) >= 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case):
            response = case.call_and_validate(headers=bearer, checks=CHECKS)
            assert response.status_code < 500

        check()


def test_schema_documents_the_error_object_and_auth(client):
    spec = client.get("/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorObject"]
    assert set(error["properties"]) == {
        "object",
        "type",
        "code",
        "message",
        "context",
        "live_mode",
        "request_id",
        "time_created",
    }
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BasicAuth"]["scheme"] == "basic"
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/login"]["get"]["security"] == [{"BasicAuth": []}]
    assert spec["paths"]["/account"]["get"]["security"] == [{"BearerAuth": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "default" in operation["responses"], (method, path)
