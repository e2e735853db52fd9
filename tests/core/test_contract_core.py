"""What /openapi.json says of what every list and every text field takes (issue 18, defect 7)."""

from __future__ import annotations

from tests.contract_schema import component, documented_codes, spec
from tests.helpers import assert_error

LISTS = ("/customers", "/locations", "/devices", "/tariffs", "/events", "/webhook_endpoints")


def test_every_page_size_is_bounded_in_the_schema(client):
    # Before, FastAPI wrote the bounds as `ge`/`le`, which no generator or client reads, so
    # limit=377 was valid by the schema and refused by the API.
    for path, operations in spec(client)["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "limit":
                    schema = parameter["schema"]
                    assert (schema["minimum"], schema["maximum"]) == (1, 100), path
                    assert "ge" not in schema and "le" not in schema, path


def test_the_cursor_conflict_is_documented_on_every_list(client, tenant):
    for path in LISTS:
        assert "pagination_cursor_conflict" in documented_codes(client, "get", path), path
    cursor = "loc_0192f4d1a2b3c4d5e6f7a8b9"
    response = client.get(
        f"/locations?starting_after={cursor}&ending_before={cursor}", headers=tenant.test
    )
    assert_error(response, 400, "pagination_cursor_conflict", context="api.location_list")


def test_no_query_parameter_offers_null(client):
    # A query string cannot carry null: the schema's null branch had generators send `null`.
    for path, operations in spec(client)["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    branches = parameter["schema"].get("anyOf", [])
                    assert {"type": "null"} not in branches, (path, parameter["name"])


def test_text_fields_say_they_take_no_nul(client, tenant):
    customer = component(client, "CustomerCreate")
    assert customer.is_valid({"reference_id": "abc"})
    assert not customer.is_valid({"reference_id": "a\x00c"})
    response = client.post("/customers", json={"reference_id": "a\x00c"}, headers=tenant.test)
    assert_error(response, 400, "reference_id_invalid", context="api.customer_create")
