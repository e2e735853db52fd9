"""Zero's read-outs of prices: GET /tariffs/rates/{location_id} (`tariff_rate`, the rates
POST /prices/{location_id} answers as `price`) and GET /locations/{id}/status
(`location_status`: each tariff element's state, and yesterday's to tomorrow's rates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.locations import service as locations
from tariffconnect.locations.schemas import LocationStatusOut
from tariffconnect.prices import days
from tariffconnect.prices import service as prices
from tariffconnect.prices.schemas import PriceWindow, TariffRateOut
from tariffconnect.providers import catalogue, logo
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff

ELEMENTS = ("commodity_import", "commodity_export", "non_commodity_import", "non_commodity_export")


def tariff_rate(
    session: Session,
    *,
    scope: Scope,
    location_id: str,
    window: PriceWindow,
    include_tariff: bool,
    include_carbon: bool,
) -> TariffRateOut:
    """The location's rates over a window in zero's `tariff_rate` shape."""
    price = orjson.loads(
        prices.price_body(
            session, scope=scope, location_id=location_id, device_id=None, window=window
        )
    )
    data = []
    for entry in price["data"]:
        interval: dict[str, Any] = {
            "valid_from": entry["valid_from"],
            "valid_to": entry["valid_to"],
        }
        if include_tariff:
            value = entry["price"]
            interval["tariff"] = {"rate": value["value"], "confidence": value["confidence"]}
        data.append(interval)
    request = price["request"]
    return TariffRateOut.model_validate(
        {
            "id": new_id("rts"),
            "object": "tariff_rate",
            "live_mode": price["live_mode"],
            "location_id": price["location_id"],
            "location_timezone": price["location_timezone"],
            "currency_code": price["currency_code"],
            "direction": price["tariff_direction"],
            "last_updated": price["last_updated"],
            "next_update": price["next_update"],
            "request": {
                "include_tariff": include_tariff,
                "include_carbon": include_carbon,
                "direction": price["tariff_direction"],
                "start_time": request["start_time"],
                "end_time": request["end_time"],
            },
            "data": data,
            "time_created": price["time_created"],
            "account_id": price["account_id"],
        }
    )


def location_status(
    session: Session, *, scope: Scope, location_id: str, now: datetime, base_url: str
) -> LocationStatusOut:
    """The location, its tariff elements' states with provider and tariff summaries, and
    each direction's rates for yesterday, today and tomorrow (null without a tariff)."""
    location = locations.get_or_raise(session, scope=scope, location_id=location_id)
    out = locations.render(session, location).model_dump(mode="json", by_alias=True)
    connected = tariffs.connected(session, location_ids=[location.id])
    by_element = {f"{t.tariff_type}_{t.tariff_direction}".lower(): t for t in connected}
    rates: dict[str, Any] = dict.fromkeys(("import", "export"))
    for direction in {t.tariff_direction for t in connected}:
        found = days.around(session, location=location, now=now, direction=direction)
        rates[direction.lower()] = {
            key: [
                {
                    "valid_from": e["valid_from"],
                    "valid_to": e["valid_to"],
                    "tariff": {"rate": e["value"], "confidence": e["confidence"]},
                }
                for e in entries
            ]
            for key, entries in found.items()
        }
    return LocationStatusOut.model_validate(
        out
        | {
            "object": "location_status",
            "tariff_elements": [e["tariff_id"] for e in out["tariff_elements"]],
            "tariff_status": {name: _element(by_element.get(name), base_url) for name in ELEMENTS},
            "rates": rates,
        }
    )


def _element(tariff: Tariff | None, base_url: str) -> dict[str, Any]:
    if tariff is None:
        return {
            "status": "NOT_CONNECTED",
            "connection_type": None,
            "provider": None,
            "tariff": None,
        }
    provider = catalogue.get(tariff.provider_id) if tariff.provider_id else None
    end = tariff.contract_end_date
    return {
        "status": "CONNECTED",
        "connection_type": tariff.connection_type,
        "provider": None
        if provider is None
        else {
            "id": provider.id,
            "display_name": provider.display_name,
            "logo_url": f"{base_url}{logo.path(provider.id)}",
        },
        "tariff": {
            "id": tariff.id,
            "display_name": tariff.display_name,
            "structure_type": tariffs.structure_of(tariff),
            "contract_end_date": None if end is None else tariffs.render(tariff).contract_end_date,
        },
    }
