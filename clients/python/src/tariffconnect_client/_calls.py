"""The calls each resource method makes, built once for the sync and the async resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tariffconnect_client._core import Call, body_of, wire


def _item(path: str, object_id: str) -> str:
    if not object_id:
        raise ValueError("an object id is required")
    # Quoted whole, so an id can never reach another path ("../account").
    return f"{path}/{quote(object_id, safe='')}"


def create(path: str, fields: Mapping[str, Any], idempotency_key: str | None) -> Call:
    return Call("POST", path, json=body_of(fields), idempotency_key=idempotency_key)


def retrieve(path: str, object_id: str) -> Call:
    return Call("GET", _item(path, object_id))


def update(
    path: str, object_id: str, fields: Mapping[str, Any], idempotency_key: str | None
) -> Call:
    return Call(
        "PATCH", _item(path, object_id), json=body_of(fields), idempotency_key=idempotency_key
    )


def delete(path: str, object_id: str) -> Call:
    return Call("DELETE", _item(path, object_id))


def action(path: str, object_id: str, verb: str, idempotency_key: str | None = None) -> Call:
    """A POST to `/{path}/{id}/{verb}` (`/events/{id}/redeliver`)."""
    return Call("POST", f"{_item(path, object_id)}/{verb}", idempotency_key=idempotency_key)


def split_cursor(filters: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A list's filters without `starting_after`, and the `starting_after` given (or None)."""
    rest = {key: value for key, value in filters.items() if key != "starting_after"}
    return rest, filters.get("starting_after")


def page(path: str, filters: Mapping[str, Any], starting_after: str | None) -> Call:
    """One page of a list; the first has no cursor unless the caller gave one."""
    params = dict(filters)
    if starting_after is not None:
        params["starting_after"] = starting_after
    return Call("GET", path, params=params)


def sub_list(path: str, object_id: str, child: str) -> str:
    """The path of a list under an object (`/webhook_endpoints/{id}/deliveries`)."""
    return f"{_item(path, object_id)}/{child}"


def sub(path: str, object_id: str, child: str, params: Mapping[str, Any] | None = None) -> Call:
    """A GET of what lies under an object (`/locations/{id}/status`)."""
    return Call("GET", sub_list(path, object_id, child), params=params)


def schedule(kind: str, location_id: str, fields: Mapping[str, Any]) -> Call:
    """POST /schedules/{kind}/{location_id}: the answer is computed, nothing is created."""
    return Call("POST", _item(f"/schedules/{kind}", location_id), json=body_of(fields))


def next_cursor(answer: Any) -> str | None:
    """The `starting_after` of the page after this one, or None on the last page."""
    data = answer.get("data") or []
    if not answer.get("has_more") or not data:
        return None
    return str(data[-1]["id"])


def prices(*, location_id: str, start_time: Any, end_time: Any, fields: Mapping[str, Any]) -> Call:
    body = body_of({"location_id": location_id, "end_time": end_time})
    if start_time is not None:  # the service's default is now
        body["start_time"] = wire(start_time)
    return Call("POST", "/prices", json=body | body_of(fields))
