"""What the OpenADR tests share: a location with a tariff, a client for it, its token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tariffconnect.openadr import clients, vtn
from tests.prices.test_prices_api import connect
from tests.tariffs.support import tariff_body, two_rate

# A winter Wednesday in London (UTC+0): the events' window is 10:00Z to Friday 10:00Z.
NOW = datetime(2031, 1, 15, 10, 7, 12, tzinfo=UTC)
TOKEN_PATH = "/openadr/3.0/auth/token"


def freeze(monkeypatch: pytest.MonkeyPatch, now: datetime = NOW) -> None:
    """The VTN's clock (where the events' window starts) set to `now`."""
    monkeypatch.setattr(vtn, "utcnow", lambda: now)


def make_location(client: Any, tenant: Any, *, live: bool = False) -> dict[str, Any]:
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    headers = tenant.live if live else tenant.test
    response = client.post("/locations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def connect_two_rate(client: Any, tenant: Any, location: dict[str, Any], **extra: Any) -> dict:
    """Cheap 0.085 from 00:30 to 07:30 local, 0.2755 otherwise."""
    body = tariff_body(location["id"], two_rate(0.085, 0.2755), **extra)
    return dict(connect(client, tenant, body))


def make_client(database: Any, location_id: str) -> clients.IssuedClient:
    with database.transaction() as session:
        return clients.create(session, location_id=location_id)


def credentials(issued: clients.IssuedClient) -> dict[str, str]:
    """The token endpoint's form for the client: client credentials in the body."""
    return {
        "grant_type": "client_credentials",
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
    }


def token(client: Any, issued: clients.IssuedClient) -> dict[str, str]:
    """The Authorization header of a fresh access token for the client."""
    response = client.post(TOKEN_PATH, data=credentials(issued))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is OpenADR's Problem object with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert {k: body[k] for k in ("type", "status", "code", "instance")} == {
        "type": f"urn:tariffconnect:problem:{code}",
        "status": status,
        "code": code,
        "instance": response.request.url.path,
    }
    assert set(body) - {"error", "error_description"} == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "code",
    }
    return body
