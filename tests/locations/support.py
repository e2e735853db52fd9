"""Helpers for the location tests: making objects, the expected wire shape, row counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow
from tariffconnect.devices.models import Device, device_locations
from tariffconnect.events.models import Event

LOCATION_ID = re.compile(r"loc_[0-9a-f]{24}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
NOT_CONNECTED = {
    "commodity_import": "NOT_CONNECTED",
    "commodity_export": "NOT_CONNECTED",
    "non_commodity_import": "NOT_CONNECTED",
    "non_commodity_export": "NOT_CONNECTED",
}
NO_MARKET = {"import": None, "export": None}
LONDON = {"city": "London", "country_code": "GB"}
# The tz database's point for Europe/London, which an address in London gets.
LONDON_POINT = {"lat": 51.5083, "lng": -0.1253}


def address(**fields: Any) -> dict[str, Any]:
    """A postal address as the API answers it: every key, null where not given."""
    keys = ("address_line1", "address_line2", "city", "state", "post_code", "country_code")
    return {key: fields.get(key) for key in keys}


def assert_location(
    body: dict[str, Any],
    *,
    account_id: str,
    postal_address: dict[str, Any],
    timezone: str,
    currency_code: str,
    reference_id: str | None = None,
    customer_id: str | None = None,
    devices: list[str] | None = None,
    live_mode: bool = False,
    market_sources: dict[str, str | None] | None = None,
    geo_location: dict[str, float] | None = None,
) -> None:
    """`body` is exactly this location (the id and creation time only checked by shape)."""
    assert LOCATION_ID.fullmatch(body.get("id", "")), body
    assert TIMESTAMP.fullmatch(body.get("time_created", "")), body
    assert body == {
        "id": body["id"],
        "object": "location",
        "live_mode": live_mode,
        "reference_id": reference_id,
        "customer_id": customer_id,
        "postal_address": postal_address,
        "postal_address_verified": False,
        "geo_location": geo_location,
        "timezone": timezone,
        "currency_code": currency_code,
        "market_sources": market_sources or NO_MARKET,
        "tariff_status": NOT_CONNECTED,
        "tariff_elements": [],
        "devices": devices or [],
        "time_created": body["time_created"],
        "account_id": account_id,
    }


def create_location(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("postal_address", LONDON)
    response = client.post("/locations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def create_customer(client: Any, headers: dict[str, str]) -> str:
    response = client.post("/customers", json={}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def count_rows(database: Any, model: Any, account_id: str) -> int:
    with database.transaction(write=False) as session:
        query = select(func.count()).select_from(model).where(model.account_id == account_id)
        return int(session.scalar(query) or 0)


def events_of(database: Any, object_id: str) -> list[tuple[str, dict[str, Any]]]:
    with database.transaction(write=False) as session:
        rows = session.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.id))
        return [(event.type, event.data) for event in rows]


def add_device(database: Any, account_id: str, location_id: str) -> str:
    """A device row linked to the location, written directly (the devices API is not ours)."""
    device_id = new_id("dev")
    with database.transaction() as session:
        session.add(
            Device(
                id=device_id,
                account_id=account_id,
                live_mode=False,
                time_created=utcnow(),
                reference_id="charger",
                type="EV_CHARGER",
                properties={},
            )
        )
        session.flush()
        session.execute(
            device_locations.insert().values(device_id=device_id, location_id=location_id)
        )
    return device_id


def add_connect_session(database: Any, account_id: str, location_id: str) -> str:
    session_id = new_id("cot")
    with database.transaction() as session:
        session.add(
            ConnectSession(
                id=session_id,
                account_id=account_id,
                live_mode=False,
                time_created=utcnow(),
                location_id=location_id,
                connect_url="https://connect.example/cot",
                callback_url="https://app.example/done",
                status="CREATED",
                time_expiry=utcnow() + timedelta(hours=1),
            )
        )
    return session_id


def row_exists(database: Any, model: Any, row_id: str) -> bool:
    with database.transaction(write=False) as session:
        return session.get(model, row_id) is not None


def device_links(database: Any, location_id: str) -> list[str]:
    with database.transaction(write=False) as session:
        links = device_locations.c
        query = select(links.device_id).where(links.location_id == location_id)
        return list(session.scalars(query))
