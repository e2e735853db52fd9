"""Helpers for driving the Connect flow API the way a front end does."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from fastapi.testclient import TestClient

from tariffconnect.providers import catalogue
from tariffconnect.tariffs import library

LONDON = {
    "address_line1": "10 Downing Street",
    "city": "London",
    "post_code": "SW1A 2AA",
    "country_code": "GB",
}
CALLBACK = "https://app.example.com/connect/done?user=42"
# E.ON Next: shipped tariffs in the library, and no DIRECT login before them.
EON_NEXT = "prv_0b13f5f169c91474b34f8a1e"


def plain_provider(country_code: str = "GB") -> str:
    """A provider of the country with no library tariff (so the manual path follows)."""
    with_library = {t.provider_id for t in library.load()}
    return next(
        p.id for p in catalogue.search(country_code=country_code) if p.id not in with_library
    )


def make_location(client: httpx.Client, headers: dict[str, str], address: dict[str, str]) -> str:
    response = client.post("/locations", json={"postal_address": address}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def make_session(
    client: httpx.Client,
    headers: dict[str, str],
    address: dict[str, str] | None = None,
    *,
    location_id: str | None = None,
    callback_url: str = CALLBACK,
    options: dict[str, Any] | None = None,
) -> str:
    """A session for a new location at `address` (or for `location_id`); `options` adds
    POST /connect fields such as `tariff_direction`."""
    location_id = location_id or make_location(client, headers, address or LONDON)
    body = {
        "location_id": location_id,
        "connect_url": "https://app.example.com/connect",
        "callback_url": callback_url,
        **(options or {}),
    }
    response = client.post("/connect", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def post(client: TestClient, body: Any, **headers: str) -> Any:
    """POST a body the way the reference front end does: JSON text with no Content-Type."""
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post("/connect/flow", content=content, headers=headers)


def submit(
    client: TestClient,
    token: str,
    route: str,
    *,
    action: str | None = None,
    data: dict[str, Any] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    body: dict[str, Any] = {"route": route, "connect_token": token, "type": "submit"}
    if action is not None:
        body["action"] = action
    if data is not None:
        body["data"] = data
    response = post(client, body)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def start(client: TestClient, token: str) -> dict[str, Any]:
    return submit(client, token, "session_start")


def error(client: TestClient, token: str, route: str, status: int, code: str, **kw: Any) -> None:
    """Submit, expect an error object with `code`, and check the page did not move."""
    before = start(client, token)
    answer = submit(client, token, route, status=status, **kw)
    assert answer["object"] == "error"
    assert answer["code"] == code, answer
    assert answer["connect_token"] == token
    assert answer["context"] == f"connect.{route}"
    after = start(client, token)
    assert after["route"] == before["route"]
    assert after["data"] == before["data"]
