"""/webhook_endpoints: the matrix, exact shapes, bad URLs and event names."""

import re

import pytest

from tariffconnect.webhooks import signing
from tests.helpers import assert_error, assert_scoped


def create(client, headers, **body):
    body = {"url": "https://app.example.com/hooks"} | body
    response = client.post("/webhook_endpoints", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_shows_the_secret_once(client, tenant):
    endpoint = create(
        client,
        tenant.test,
        enabled_events=["location.update", "tariff.expired"],
        description="prod",
    )
    assert re.fullmatch(r"we_[0-9a-f]{24}", endpoint["id"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", endpoint["secret"])
    assert endpoint == {
        "id": endpoint["id"],
        "object": "webhook_endpoint",
        "live_mode": False,
        "url": "https://app.example.com/hooks",
        "enabled_events": ["location.update", "tariff.expired"],
        "description": "prod",
        "status": "enabled",
        "disabled_reason": None,
        "time_created": endpoint["time_created"],
        "secret": endpoint["secret"],
    }
    again = client.get(f"/webhook_endpoints/{endpoint['id']}", headers=tenant.test).json()
    assert again == endpoint | {"secret": None}
    listed = client.get("/webhook_endpoints", headers=tenant.test).json()
    assert listed["data"] == [again]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/x"}, "url_invalid"),
        ({"url": "https://user:pw@example.com/"}, "url_invalid"),
        ({"url": "https://example.com/#frag"}, "url_invalid"),
        ({"enabled_events": ["location.explode"]}, "enabled_events_invalid"),
        ({"enabled_events": []}, "enabled_events_invalid"),
        ({"colour": "red"}, "colour_unknown"),
    ],
)
def test_invalid_create_writes_nothing(client, tenant, body, code):
    response = client.post(
        "/webhook_endpoints", json={"url": "https://app.example.com/h"} | body, headers=tenant.test
    )
    assert_error(response, 400, code, context="api.webhook_endpoint_create")
    assert client.get("/webhook_endpoints", headers=tenant.test).json()["data"] == []


def test_live_mode_needs_https_and_a_public_address(client, tenant):
    for url in (
        "http://app.example.com/h",
        "https://10.0.0.1/h",
        "https://localhost/h",
        "https://169.254.169.254/latest",
    ):
        response = client.post("/webhook_endpoints", json={"url": url}, headers=tenant.live)
        assert_error(response, 400, "url_invalid")
    assert create(client, tenant.live)["live_mode"] is True
    assert create(client, tenant.test, url="http://127.0.0.1:9/h")["url"] == "http://127.0.0.1:9/h"


def test_update_and_delete(client, tenant):
    endpoint = create(client, tenant.test)
    path = f"/webhook_endpoints/{endpoint['id']}"
    changed = client.patch(
        path, json={"status": "disabled", "enabled_events": ["*"]}, headers=tenant.test
    )
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["disabled_reason"]) == (
        "disabled",
        "disabled by the account",
    )
    enabled = client.patch(path, json={"status": "enabled"}, headers=tenant.test).json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)
    bad = client.patch(path, json={"url": "javascript:alert(1)"}, headers=tenant.test)
    assert_error(bad, 400, "url_invalid", context="api.webhook_endpoint_update")
    assert client.delete(path, headers=tenant.test).status_code == 202
    assert_error(client.get(path, headers=tenant.test), 404, "webhook_endpoint_not_found")


def test_matrix(client, tenant, other_tenant):
    endpoint = create(client, tenant.test)
    path = f"/webhook_endpoints/{endpoint['id']}"
    code = "webhook_endpoint_not_found"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code=code,
        context="api.webhook_endpoint_retrieve",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PATCH",
        path,
        json={"description": "x"},
        not_found_code=code,
        context="api.webhook_endpoint_update",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"{path}/deliveries",
        not_found_code=code,
        context="api.webhook_endpoint_deliveries",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "DELETE",
        path,
        not_found_code=code,
        context="api.webhook_endpoint_delete",
    )
    assert client.get("/webhook_endpoints", headers=other_tenant.test).json()["data"] == []
    assert_error(client.get("/webhook_endpoints"), 401, "authentication_required")


def test_jwks_is_public_and_lists_rsa_keys(client, database, settings):
    # The key is made here: on a database of its own (one test worker's) no delivery has.
    with database.transaction() as session:
        key = signing.ensure_signing_key(session, secret=settings.signing_secret)
    keys = client.get("/jwks.json").json()["keys"]
    assert key.public_jwk in keys
    assert all(k["kty"] == "RSA" and k["alg"] == "PS256" and k["e"] == "AQAB" for k in keys)
