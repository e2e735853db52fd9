"""The `tariff_summary` page: the connected tariff and its rates for yesterday, today and
tomorrow, in the reference front end's RateEntry shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import format_utc
from tariffconnect.locations.models import Location
from tariffconnect.prices import days
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.service import is_tiered, structure_of


def rates(
    session: Session, *, location: Location, now: datetime, direction: str = "IMPORT"
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's prices of the location's tariffs of `direction`, as RateEntry."""
    found = days.around(session, location=location, now=now, direction=direction)
    return {
        key: [
            {
                "tariff": {"confidence": entry["confidence"], "cost": entry["value"]},
                "valid_from": entry["valid_from"],
                "valid_to": entry["valid_to"],
            }
            for entry in entries
        ]
        for key, entries in found.items()
    }


def tariff_part(tariff: Tariff) -> dict[str, Any]:
    end = tariff.contract_end_date
    charge = tariff.standing_charge
    return {
        "id": tariff.id,
        "name": tariff.display_name or "",
        "contract_end_date": None if end is None else format_utc(end),
        "reconnect_required": False,
        "structure_type": structure_of(tariff),
        "tiered": is_tiered(tariff),
        "connection_type": tariff.connection_type,
        # As the tariff object and POST /prices report it: per day, in major units.
        "standing_charge": None if charge is None else {"value": float(charge), "unit": "per_day"},
    }
