"""A bounded schemathesis run over /openapi.json, with every check schemathesis has.

Schemathesis' own engine runs all its phases (examples, coverage, fuzzing, stateful) over every
operation of the served schema, as `schemathesis run` would, and every check must pass: no 5xx;
statuses, content types, headers and bodies as documented; schema-valid requests accepted and
schema-invalid ones refused; required headers and authentication enforced; undeclared methods
405; a deleted object gone and a created one there.

A request valid by the schema may still be refused for what the schema cannot say: an id that
names no object of the caller's (404), a conflict (409), or a rule between fields (end_time
after start_time). Such a rule is a 400 documented on the operation with its codes, and only
those codes count as accepting a schema-valid request (see `documented_refusals_only`).
"""

from __future__ import annotations

import base64
import collections
import os
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from sqlalchemy import delete

from tariffconnect.core.timeutil import utcnow
from tariffconnect.jobs import beats
from tariffconnect.openapi import codes_of
from tariffconnect.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import make_tenant

# Bounded for CI, which runs it on SQLite and on PostgreSQL: examples per operation and phase,
# and steps of the stateful phase. TARIFFCONNECT_CONTRACT_EXAMPLES runs a longer hunt locally.
EXAMPLES_PER_OPERATION = int(os.environ.get("TARIFFCONNECT_CONTRACT_EXAMPLES", "10"))
STATEFUL_STEPS = 40
SEED = int(os.environ.get("TARIFFCONNECT_CONTRACT_SEED", "20261201"))
# What schemathesis counts as accepting valid data by default, and the 400 this API answers for
# a documented rule between fields (checked against the operation's codes below).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# What a schema-violating request may be answered (schemathesis's defaults, and 413).
REJECTED = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "413",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]
# Operations on an object whose body names other objects (PATCH /devices/{id}: `locations`;
# PATCH /locations/{id}: `customer_id`): a 404 `location_not_found` or `customer_not_found` for
# a named object is not the updated one gone, which is all that ensure_resource_availability
# can tell from a 404 after a create. The object's own 404 after its create is still checked by
# retrieve and delete, and by use_after_free.
NAMES_OTHER_OBJECTS = {"device_update", "location_update"}


@schemathesis.check
def documented_refusals_only(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-valid request refused with 400 names one of the codes its operation documents
    for rules between fields; any other 400 means the schema promised too much."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    code = response.json().get("code")
    documented = documented_codes(case.operation.definition.raw)
    assert code in documented, (
        f"{case.operation.label} refused a schema-valid request with 400 {code}; "
        f"it documents only {sorted(documented)} as rules between fields"
    )
    return None


def documented_codes(operation: dict[str, Any]) -> set[str]:
    return set(operation.get("responses", {}).get("400", {}).get("x-codes", []))


def _config(spec: dict[str, Any], bearer: dict[str, str], basic: str) -> SchemathesisConfig:
    operations: list[dict[str, Any]] = [
        # GET /login takes Basic credentials, everything else the bearer token.
        {"include-operation-id": "login", "headers": {"Authorization": basic}}
    ]
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            checks: dict[str, Any] = {}
            if documented_codes(operation):
                checks["positive_data_acceptance"] = {"expected-statuses": [*ACCEPTED, "400"]}
            if operation["operationId"] in NAMES_OTHER_OBJECTS:
                checks["ensure_resource_availability"] = {"enabled": False}
            if checks:
                operations.append(
                    {"include-operation-id": operation["operationId"], "checks": checks}
                )
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "cache": {"enabled": False},
            "headers": bearer,
            "continue-on-failure": True,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
            # The stateful phase follows the links /openapi.json states (each create to the
            # operations on what it made, through `id`), not links guessed by dependency
            # analysis: the guess filled PATCH /devices/{device_id} with the answer's
            # `account_id`, then called the 404 a created device gone.
            "phases": {
                "stateful": {
                    "max-steps": STATEFUL_STEPS,
                    "inference": {"algorithms": ["location-headers"]},
                }
            },
            # Every check; max_response_time stays off (it needs a limit, and speed is what
            # bench/ measures, never a timed assertion in a test).
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                # A generated body over the size limit is refused before it is read: 413
                # request_too_large is a rejection too.
                "negative_data_rejection": {"expected-statuses": REJECTED},
            },
            "operations": operations,
        }
    )


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


@pytest.fixture
def tenant(client, database):
    """The run's account. Its webhook endpoints go afterwards, with the deliveries queued for
    them, so no later test's worker pass spends itself on them."""
    tenant = make_tenant(client, database, name="Schemathesis")
    yield tenant
    with database.transaction() as session:
        for model in (WebhookDelivery, WebhookEndpoint):
            session.execute(delete(model).where(model.account_id == tenant.account_id))


def test_api_passes_every_schemathesis_check(app, client, tenant, worker_alive):
    credentials = base64.b64encode(f"{tenant.account_id}:{tenant.test_key}".encode()).decode()
    spec = client.get("/openapi.json").json()
    config = _config(spec, tenant.test, f"Basic {credentials}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    failures: dict[str, set[str]] = collections.defaultdict(set)
    ran: collections.Counter[str] = collections.Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    ran[node.name] += 1
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures[f"{node.name}: {event.recorder.label}"].add(
                            f"{failure.title}: {failure.message[:300]} ({case_id})"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures["error"].add(repr(getattr(event, "value", getattr(event, "exception", ""))))
        elif isinstance(event, events.EngineFinished) and event.failures:
            failures["run"].update(f"{f.title}: {f.message[:300]}" for f in event.failures)
    report = "\n".join(f"{key}\n  " + "\n  ".join(sorted(items)) for key, items in failures.items())
    assert not failures, report
    # Every check took part (a check that never ran proves nothing).
    every = {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "allow_header_conformance",
        "object_level_authorization",
        "documented_refusals_only",
    }
    assert every <= set(ran), sorted(every - set(ran))


def test_cross_field_rules_are_documented_with_their_codes(client):
    """Every operation refusing a schema-valid request for a rule between fields says so: a 400
    response listing the codes, each in its description."""
    spec = client.get("/openapi.json").json()
    documented = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = codes_of(operation)
            assert documented_codes(operation) == set(codes), (method, path)
            for code in codes:
                assert f"`{code}`" in operation["responses"]["400"]["description"], (path, code)
            documented += bool(codes)
    assert documented >= 20  # the lists (cursors), the windows, the sessions


def test_schema_documents_the_error_object_and_auth(client):
    spec = client.get("/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorObject"]
    assert set(error["properties"]) == {
        "object",
        "type",
        "code",
        "message",
        "errors",
        "context",
        "live_mode",
        "request_id",
        "time_created",
    }
    assert "errors" not in error["required"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BasicAuth"]["scheme"] == "basic"
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/login"]["get"]["security"] == [{"BasicAuth": []}]
    assert spec["paths"]["/account"]["get"]["security"] == [{"BearerAuth": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "default" in operation["responses"], (method, path)
