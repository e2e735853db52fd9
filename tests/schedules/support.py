"""What the schedule and audit API tests share: a London location, tariffs and market prices."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from tests.market.stored import publish
from tests.tariffs.support import tariff_body, window

LONDON = {"postal_address": {"city": "London", "country_code": "GB"}}
CHARGER = {"reference_id": "EVSE-1", "type": "EV_CHARGER"}


def make_location(client, tenant) -> dict[str, Any]:
    response = client.post("/locations", json=LONDON, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def connect(client, tenant, body) -> dict[str, Any]:
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def market_schedule(surcharge_fixed=0.0, surcharge_percentage=0.0) -> list[dict[str, Any]]:
    rate = window(
        "00:00:00",
        "00:00:00",
        None,
        surcharge_fixed=surcharge_fixed,
        surcharge_percentage=surcharge_percentage,
    )
    return [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [rate]}]}]


def connect_market(
    client,
    tenant,
    database,
    location_id: str,
    start: str,
    prices,
    *,
    minutes: int = 15,
    tariff_direction: str = "IMPORT",
    **surcharges: float,
) -> str:
    """A market tariff on a new source whose `prices` (as text) run from `start`, one every
    `minutes`; the source's id."""
    source = "mrs_" + secrets.token_hex(12)
    body = tariff_body(
        location_id,
        market_schedule(**surcharges),
        market_rates=True,
        market_source_id=source,
        tariff_direction=tariff_direction,
    )
    connect(client, tenant, body)
    publish(database, source, datetime.fromisoformat(start), prices, minutes=minutes)
    return source


def make_device(client, tenant, reference_id: str = "EVSE-1") -> str:
    body = CHARGER | {"reference_id": reference_id}
    response = client.post("/devices", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def post(client, tenant, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(path, json=body, headers=tenant.test)
    assert response.status_code == status, response.text
    return response.json()


def windows(body: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    """A duration or limit answer's windows: (start, end, rate_avg, confidence)."""
    return [
        (d["start_time"], d["end_time"], d["tariff"]["rate_avg"], d["tariff"]["confidence"])
        for d in body["data"]
    ]


def check_head(body: dict[str, Any], *, obj: str, prefix: str, tenant, location) -> dict:
    """The generated fields are well formed; the rest is returned for an exact comparison."""
    assert body["id"].startswith(f"{prefix}_") and len(body["id"]) == len(prefix) + 25
    assert body["object"] == obj
    assert body["time_created"].endswith("Z")
    assert body.get("next_update", "Z").endswith("Z")  # audits have none
    assert body["account_id"] == tenant.account_id
    assert body["location_id"] == location["id"]
    assert body["location_timezone"] == "Europe/London" and body["currency_code"] == "GBP"
    assert body["live_mode"] is False
    return {k: v for k, v in body.items() if k not in {"id", "time_created", "next_update"}}
