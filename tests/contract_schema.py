"""Helpers for the tests that pin what /openapi.json says (tests/*/test_contract_*.py)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from starlette.testclient import TestClient


def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def component(client: TestClient, name: str) -> jsonschema_rs.Validator:
    """A validator for the served schema's component `name`, its references resolved."""
    served = spec(client)
    document = {"$ref": f"#/components/schemas/{name}", "components": served["components"]}
    return jsonschema_rs.validator_for(document)


def operation(client: TestClient, method: str, path: str) -> dict[str, Any]:
    return spec(client)["paths"][path][method]


def parameter(client: TestClient, method: str, path: str, name: str) -> dict[str, Any]:
    [found] = [p for p in operation(client, method, path)["parameters"] if p["name"] == name]
    return found


def documented_codes(client: TestClient, method: str, path: str) -> list[str]:
    return operation(client, method, path)["responses"]["400"]["x-codes"]
