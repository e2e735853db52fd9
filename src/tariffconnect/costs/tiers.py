"""Consumption tiers (`rate[].to_kwh`): a tariff as one schedule per tier, plus its limits.

/prices answers a window's first tier. Costs need every tier, so a tiered tariff is compiled
into variants the price engine already knows how to read: variant `j` prices each window at
its tier `j` (its last tier where it has fewer), and limit variant `j` "prices" each window at
tier `j`'s `to_kwh` (NO_LIMIT where the tier has none). At an instant the engine then gives
the tier rates and the kWh at which each tier ends, whatever the day rules.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

from tariffconnect.core.timeutil import as_utc
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.schedule import Schedule, ScheduleEntry, validate_schedule

NO_LIMIT = Decimal(999_999_999)
_CACHE_MAX = 512
_cache: OrderedDict[tuple[str, datetime], tuple[list[Schedule], list[Schedule]]] = OrderedDict()


def depth(tariff: Tariff) -> int:
    """The most tiers any window of the tariff has (1: untiered)."""
    return max(
        len(window["rate"])
        for entry in tariff.schedule
        for rule in entry["days_and_hours"]
        for window in rule["hours"]
    )


def variants(tariff: Tariff) -> tuple[list[Schedule], list[Schedule]]:
    """(a schedule per tier, a limit schedule per tier but the last), cached per version."""
    key = (tariff.id, as_utc(tariff.time_updated))
    found = _cache.get(key)
    if found is None:
        count = depth(tariff)
        rates = [
            _compiled(tariff, lambda w, j=j: _tier(w, j), tariff.market_rates) for j in range(count)
        ]
        limits = [_compiled(tariff, lambda w, j=j: _limit(w, j), False) for j in range(count - 1)]
        found = _cache[key] = (rates, limits)
        if len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return found


def _compiled(tariff: Tariff, rate: Any, market: bool) -> Schedule:
    entries = copy.deepcopy(tariff.schedule)
    for entry in entries:
        for rule in entry["days_and_hours"]:
            for window in rule["hours"]:
                window["rate"] = [rate(window["rate"])]
    return validate_schedule(
        [ScheduleEntry.model_validate(e) for e in entries], market_rates=market
    )


def _tier(tiers: list[dict[str, Any]], j: int) -> dict[str, Any]:
    return tiers[min(j, len(tiers) - 1)] | {"to_kwh": None}


def _limit(tiers: list[dict[str, Any]], j: int) -> dict[str, Any]:
    limit = tiers[j]["to_kwh"] if j < len(tiers) - 1 else None
    return {
        "fixed": NO_LIMIT if limit is None else limit,
        "to_kwh": None,
        "surcharge_fixed": None,
        "surcharge_percentage": None,
    }
