"""The VTN's objects, made from a location's tariffs and prices: one program per tariff
direction the location has (IMPORT, and EXPORT where it has an export tariff), and one event
per program holding the next 48 hours of its prices.

Nothing is stored: each read prices the window again through `prices.service.price_body`,
whose series cache is keyed on every input (tariffs' time_updated, market versions), so a new
tariff or a new market day shows on the next poll and an unchanged one costs a cache hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, not_found
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.openadr.clients import ActiveClient
from tariffconnect.prices.schemas import PriceWindow
from tariffconnect.prices.service import price_body
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff

HORIZON = timedelta(hours=48)
# The window starts at the current quarter hour, so polls within one quarter share the cached
# series (and the current interval is always in it).
STEP = timedelta(minutes=15)
DIRECTIONS = ("IMPORT", "EXPORT")
PAYLOAD_TYPE = {"IMPORT": "PRICE", "EXPORT": "EXPORT_PRICE"}
# Forecast intervals carry their confidence (0 to 1, as /prices gives it) in a second payload;
# OpenADR 3 allows payload types of its own beside the enumerated ones.
CONFIDENCE = "PRICE_CONFIDENCE"
# OpenADR's largest page (`limit`).
MAX_LIMIT = 50
_SUFFIX = {"IMPORT": "_import", "EXPORT": "_export"}
_EVENT_SUFFIX = "_prices"
# A DIRECT element still awaiting its first tariff (`pending_connect`) is a gap, not a fault.
_PRICING_GAPS = {"no_price_data", "no_tariff_connected", "pending_connect"}


def programs(session: Session, *, client: ActiveClient) -> list[dict[str, Any]]:
    """The client's location's programs, IMPORT first."""
    location, connected = _location(session, client)
    return [_program(location, direction, priced) for direction, priced in connected]


def get_program(session: Session, *, client: ActiveClient, program_id: str) -> dict[str, Any]:
    """One of the client's programs; 404 `program_not_found` for any other id."""
    for program in programs(session, client=client):
        if program["id"] == program_id:
            return program
    raise not_found("program_not_found", f"No program {program_id}.")


def events(
    session: Session, *, client: ActiveClient, program_id: str | None = None
) -> list[dict[str, Any]]:
    """The events of the client's programs (of one, when `program_id` is given); a program
    whose prices cannot be made for the window (no market data yet) has none."""
    location, connected = _location(session, client)
    start = _window_start(utcnow())
    found = []
    for direction, priced in connected:
        if program_id is not None and program_id != _program_id(location, direction):
            continue
        event = _event(session, client, location, direction, priced, start)
        if event is not None:
            found.append(event)
    return found


def get_event(session: Session, *, client: ActiveClient, event_id: str) -> dict[str, Any]:
    """One of the client's events; 404 `event_not_found` for any other id."""
    program_id = event_id.removesuffix(_EVENT_SUFFIX)
    if program_id != event_id:
        for event in events(session, client=client, program_id=program_id):
            return event
    raise not_found("event_not_found", f"No event {event_id}.")


def page(objects: list[dict[str, Any]], *, skip: int, limit: int) -> list[dict[str, Any]]:
    """OpenADR's paging: `limit` objects after the first `skip`."""
    return objects[skip : skip + limit]


def duration(span: timedelta) -> str:
    """An ISO 8601 duration (`PT15M`, `PT1H30M`, `PT48H`), as OpenADR writes them."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else ""]
    parts.append(f"{seconds}S" if seconds or not any(parts) else "")
    return "PT" + "".join(parts)


def _location(
    session: Session, client: ActiveClient
) -> tuple[Location, list[tuple[str, list[Tariff]]]]:
    """The client's location and its connected tariffs by direction (directions it has)."""
    location = locations.get_or_raise(session, scope=client.scope, location_id=client.location_id)
    connected = tariffs.connected(session, location_ids=[location.id])
    by_direction = [
        (direction, [t for t in connected if t.tariff_direction == direction])
        for direction in DIRECTIONS
    ]
    return location, [(direction, priced) for direction, priced in by_direction if priced]


def _program_id(location: Location, direction: str) -> str:
    # Stable while the location lives: a replaced tariff keeps its program.
    return location.id + _SUFFIX[direction]


def _descriptors(location: Location, direction: str) -> list[dict[str, Any]]:
    return [
        {
            "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
            "payloadType": PAYLOAD_TYPE[direction],
            "units": "KWH",
            "currency": location.currency_code,
        },
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": CONFIDENCE},
    ]


def _program(location: Location, direction: str, priced: Sequence[Tariff]) -> dict[str, Any]:
    # The program spans the tariffs' contracts: from the earliest start (or connection), to
    # the latest end; PT0S, OpenADR's "no end", when any contract is open-ended.
    starts = [as_utc(t.contract_start_date or t.time_created) for t in priced]
    ends = [t.contract_end_date for t in priced]
    start = min(starts)
    span = (
        duration(max(as_utc(end) for end in ends if end is not None) - start)
        if all(end is not None for end in ends)
        else "PT0S"
    )
    names = [t.display_name for t in priced if t.display_name]
    return {
        "id": _program_id(location, direction),
        "createdDateTime": format_utc(location.time_created),
        "modificationDateTime": format_utc(max(as_utc(t.time_updated) for t in priced)),
        "objectType": "PROGRAM",
        "programName": f"{location.id} {direction}",
        "programLongName": " + ".join(names) if names else None,
        "country": location.country_code,
        "intervalPeriod": {"start": format_utc(start), "duration": span},
        "bindingEvents": False,
        "localPrice": False,
        "payloadDescriptors": _descriptors(location, direction),
        "targets": None,
    }


def _event(
    session: Session,
    client: ActiveClient,
    location: Location,
    direction: str,
    priced: Sequence[Tariff],
    start: datetime,
) -> dict[str, Any] | None:
    window = PriceWindow(start_time=start, end_time=start + HORIZON, tariff_direction=direction)
    try:
        body = price_body(
            session,
            scope=client.scope,
            location_id=location.id,
            device_id=None,
            window=window,
        )
    except ApiError as error:
        if error.code in _PRICING_GAPS:
            return None
        raise
    data = orjson.loads(body)["data"]
    if not data:
        return None
    intervals = [_interval(index, item, PAYLOAD_TYPE[direction]) for index, item in enumerate(data)]
    program_id = _program_id(location, direction)
    modified = max([as_utc(t.time_updated) for t in priced] + [start])
    return {
        "id": program_id + _EVENT_SUFFIX,
        "createdDateTime": format_utc(location.time_created),
        "modificationDateTime": format_utc(modified),
        "objectType": "EVENT",
        "programID": program_id,
        "eventName": f"{direction} prices, next 48 h",
        "priority": None,
        "targets": None,
        "reportDescriptors": None,
        "payloadDescriptors": _descriptors(location, direction),
        # OpenADR's default for intervals; each interval also gives its own (they may differ
        # in length: a fixed tariff's windows, a market's quarter hours).
        "intervalPeriod": intervals[0]["intervalPeriod"],
        "intervals": intervals,
    }


def _interval(index: int, item: dict[str, Any], payload_type: str) -> dict[str, Any]:
    price = item["price"]
    payloads: list[dict[str, Any]] = [{"type": payload_type, "values": [price["value"]]}]
    if price["confidence"] < 1:
        payloads.append({"type": CONFIDENCE, "values": [price["confidence"]]})
    period = _period(item["valid_from"], item["valid_to"])
    return {"id": index, "intervalPeriod": period, "payloads": payloads}


# Every location on one market source has the same interval boundaries, polled again and again:
# each pair is parsed once. (The dicts are shared: answers are serialised, never changed.)
@lru_cache(maxsize=65536)
def _period(start: str, end: str) -> dict[str, str]:
    span = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return {"start": start, "duration": duration(span)}


def _window_start(now: datetime) -> datetime:
    """The start of the quarter hour `now` is in (UTC)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + (now - epoch) // STEP * STEP
