"""The `tariff_summary` page: the connected tariff and its rates for yesterday, today and
tomorrow, in the reference front end's RateEntry shape."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import format_utc
from tariffconnect.locations.models import Location
from tariffconnect.prices import days
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.service import is_tiered, structure_of


def rates(
    session: Session,
    *,
    location: Location,
    now: datetime,
    direction: str = "IMPORT",
    tariff_type: str | None = None,
    connected: Sequence[Tariff] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each local day's prices of the location's tariffs of `direction` (and `tariff_type`:
    a session's summary shows its own element alone, a grid fee without the energy price),
    as RateEntry. `connected`: the location's connected tariffs, when the caller read them."""
    found = days.around(
        session,
        location=location,
        now=now,
        direction=direction,
        tariff_type=tariff_type,
        connected=connected,
    )
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
        "structure_kind": structure_kind(tariff.schedule, market_rates=tariff.market_rates),
        "tiered": is_tiered(tariff),
        "connection_type": tariff.connection_type,
        # As the tariff object and POST /prices report it: per day, in major units.
        "standing_charge": None if charge is None else {"value": float(charge), "unit": "per_day"},
    }


# What a tariff is called on the pages, by its structure: Flatpeak's `structure_type` says
# TIME_OF_DAY for any two or more rates, which is "day and night" only for a cheap window
# overnight; a peak window (PG&E's 4-9 pm) is "time of use".
FIXED, DAY_NIGHT, TIME_OF_USE, MARKET = "FIXED", "DAY_NIGHT", "TIME_OF_USE", "MARKET"
MINUTES_A_DAY = 24 * 60
NIGHT_MINUTE, DAY_MINUTE = 3 * 60, 12 * 60  # 03:00 lies in every night, 12:00 in every day

# One day's rates as (valid_from, valid_to, cost): "HH:MM[:SS]" local times, to <= from
# wrapping past midnight (00:00 to 00:00 is the whole day).
Window = tuple[str, str, Any]


def structure_kind(schedule: Sequence[dict[str, Any]], *, market_rates: bool) -> str:
    """FIXED (one rate), DAY_NIGHT (two rates, the cheaper in one window overnight and the
    dearer in one by day, the same on every day), TIME_OF_USE (anything else), or MARKET."""
    if market_rates:
        return MARKET
    days = [
        [(h["valid_from"], h["valid_to"], h["rate"][0]["fixed"]) for h in group["hours"]]
        for entry in schedule
        for group in entry["days_and_hours"]
    ]
    return kind_of_days(days)


def kind_of_days(days: Iterable[Sequence[Window]]) -> str:
    """The structure of days of windows (the schedule's, or the rates a customer typed)."""
    minutes = [by_minute(day) for day in days]
    costs = {cost for day in minutes for cost in day}
    if len(costs) == 1 and None not in costs:
        return FIXED
    if len(costs) == 2 and None not in costs and all(_day_and_night(day) for day in minutes):
        return DAY_NIGHT
    return TIME_OF_USE


def _minute(text: str) -> int:
    hours, minutes = text.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def by_minute(day: Sequence[Window]) -> list[Any]:
    """The day's cost at each minute (None where no window covers it)."""
    found: list[Any] = [None] * MINUTES_A_DAY
    for start, end, cost in day:
        first, last = _minute(start), _minute(end)
        span = (last - first) % MINUTES_A_DAY or MINUTES_A_DAY
        for offset in range(span):
            found[(first + offset) % MINUTES_A_DAY] = cost
    return found


def _day_and_night(day: list[Any]) -> bool:
    changes = sum(1 for minute in range(MINUTES_A_DAY) if day[minute] != day[minute - 1])
    night, noon = day[NIGHT_MINUTE], day[DAY_MINUTE]
    return changes == 2 and night is not None and noon is not None and night < noon
