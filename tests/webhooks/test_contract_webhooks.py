"""What /openapi.json says of webhook endpoints' fields (issue 18, defect 7)."""

from __future__ import annotations

import pytest

from tariffconnect.webhooks.schemas import EVENT_TYPES
from tests.contract_schema import component, documented_codes
from tests.helpers import assert_error


def test_enabled_events_are_listed_in_the_schema(client, tenant):
    create = component(client, "WebhookEndpointCreate")
    url = "https://app.example.com/webhooks/tariffs"
    for event in [*EVENT_TYPES, "*"]:
        assert create.is_valid({"url": url, "enabled_events": [event]}), event
    # Before, any string was valid by the schema and refused by the API.
    assert not create.is_valid({"url": url, "enabled_events": [""]})
    response = client.post(
        "/webhook_endpoints", json={"url": url, "enabled_events": [""]}, headers=tenant.test
    )
    body = assert_error(response, 400, "enabled_events_invalid")
    assert body["message"] == "enabled_events: Value error, unknown event types: "


@pytest.mark.parametrize(
    "url", ["", "/events", "ftp://example.com/x", "https://u@example.com/", "https://a.com/#x"]
)
def test_urls_the_api_refuses_are_invalid_by_the_schema(client, tenant, url):
    assert not component(client, "WebhookEndpointCreate").is_valid({"url": url})
    response = client.post("/webhook_endpoints", json={"url": url}, headers=tenant.test)
    assert_error(response, 400, "url_invalid", context="api.webhook_endpoint_create")


def test_the_url_rules_of_mode_and_address_are_documented(client):
    for method, path in (
        ("post", "/webhook_endpoints"),
        ("patch", "/webhook_endpoints/{endpoint_id}"),
    ):
        assert documented_codes(client, method, path) == ["url_invalid"]
