"""The tariff a module's `/api/tariff_plan` (or an adapter's `convert`) answers, in the SDK's
schema (`display_name`, `data` of months / days_and_hours / hours with `rate: [{value}]`),
or in the anode schedule form (`schedule`, `rate: [{fixed}]`), turned into ours and checked.

Rates are major units per kWh. Two additions beyond the SDK's schema, for what a built-in
adapter knows (Octopus): `standing_charge` ({value} in major units per day),
and `market_rates: true` with `market_source_id` (a market-rate tariff, whose windows carry
surcharges rather than values). An adapter whose provider has an export tariff beside the
import one answers it under `export`, in the same schema (stored as the location's EXPORT
tariff by the same pull: integrations/pull_store.py).

Month and day names may be spelt out ("January", "Monday") or abbreviated as our schedules
are ("Jan", "Mon"), in any case; "All", "Weekdays", "Weekend" and "Holidays"
as the schedule validator knows them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tariffconnect.core.errors import ApiError
from tariffconnect.market import sources
from tariffconnect.tariffs.schedule import MONTHS, WEEKDAYS, ScheduleEntry, validate_schedule

MAX_NAME_LENGTH = 255
MAX_ENTRIES = 64
# "0001-01-01T00:00:00Z" is the SDK's (Go's zero time) "no end": open-ended.
_ZERO_YEAR = 1
_MONTH_NAMES = {
    **{name.casefold(): name for name in MONTHS},
    **{
        full.casefold(): short
        for full, short in zip(
            (
                "January", "February", "March", "April", "May", "June", "July",
                "August", "September", "October", "November", "December",
            ),
            MONTHS,
            strict=True,
        )
    },
    "all": "All",
}  # fmt: skip
_DAY_NAMES = {
    **{name.casefold(): name for name in WEEKDAYS},
    **{
        full.casefold(): short
        for full, short in zip(
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
            WEEKDAYS,
            strict=True,
        )
    },
    **{name.casefold(): name for name in ("Weekdays", "Weekend", "Holidays", "All")},
    "weekends": "Weekend",
    "weekday": "Weekdays",
}


class PullFailed(Exception):
    """The tariff could not be pulled or is not acceptable; `reason` is recorded for the
    operator (never credentials)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Captured:
    """A pulled tariff in our terms."""

    display_name: str
    schedule: list[dict[str, Any]]  # our stored schedule shape (rate `fixed`, `to_kwh` kept)
    contract_end_date: datetime | None
    expires: datetime | None  # provider_tariff_expiry_date: pull again by then
    market_source_id: str | None = None  # set: a market-rate tariff on this source
    standing_charge: Decimal | None = None  # major units per day
    export: Captured | None = None  # the provider's export tariff, pulled with this one


def parse(answer: Any, *, timezone: str) -> Captured:
    """The tariff in `answer`, checked; PullFailed naming what is wrong."""
    captured = _parse_one(answer, timezone=timezone)
    export = answer.get("export")
    if export is None:
        return captured
    try:
        exported = _parse_one(export, timezone=timezone)
    except PullFailed as failed:
        raise PullFailed(f"the export tariff: {failed.reason}") from None
    if isinstance(export, dict) and "export" in export:
        raise PullFailed("the export tariff has an export tariff")
    return replace(captured, export=exported)


def _parse_one(answer: Any, *, timezone: str) -> Captured:
    if not isinstance(answer, dict):
        raise PullFailed("the tariff is not a JSON object")
    name = answer.get("display_name")
    if not isinstance(name, str) or not name.strip():
        raise PullFailed("the tariff has no display_name")
    given_zone = answer.get("timezone")
    if given_zone not in (None, "", timezone):
        raise PullFailed(f"the tariff's timezone is not the location's ({timezone})")
    raw = answer["data"] if "data" in answer else answer.get("schedule")
    if not isinstance(raw, list) or not raw:
        raise PullFailed("the tariff has no data (a non-empty list of schedule entries)")
    if len(raw) > MAX_ENTRIES:
        raise PullFailed(f"the tariff has more than {MAX_ENTRIES} schedule entries")
    source_id = _market_source(answer)
    market = source_id is not None
    entries = [_validated(index, item, market) for index, item in enumerate(raw)]
    try:
        validate_schedule(entries, market_rates=market)
    except ApiError as exc:
        raise PullFailed(f"invalid schedule: {exc.code}: {exc.message}") from None
    return Captured(
        display_name=name.strip()[:MAX_NAME_LENGTH],
        schedule=[entry.model_dump(mode="json") for entry in entries],
        contract_end_date=_moment(answer.get("contract_end_date"), "contract_end_date"),
        expires=_moment(answer.get("provider_tariff_expiry_date"), "provider_tariff_expiry_date"),
        market_source_id=source_id,
        standing_charge=_standing_charge(answer.get("standing_charge")),
    )


def _market_source(answer: dict[str, Any]) -> str | None:
    """The market source of a market-rate tariff (a known one), or None for a fixed one."""
    flag = answer.get("market_rates", False)
    if flag is False:
        return None
    source_id = answer.get("market_source_id")
    if flag is not True or not isinstance(source_id, str) or sources.get(source_id) is None:
        raise PullFailed("a market-rate tariff needs the id of a known market source")
    return source_id


def _standing_charge(value: Any) -> Decimal | None:
    if value is None:
        return None
    amount = value.get("value") if isinstance(value, dict) else None
    rounded = _rounded(amount)
    if not isinstance(rounded, Decimal) or rounded < 0:
        raise PullFailed("the standing_charge is not {value} of zero or more per day")
    return rounded


def _validated(index: int, item: Any, market: bool) -> ScheduleEntry:
    try:
        return ScheduleEntry.model_validate(_entry(item, market))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in (index, *first["loc"]))
        raise PullFailed(f"invalid schedule at data.{where}: {first['msg']}") from None


def _entry(item: Any, market: bool) -> Any:
    """An SDK or anode entry in our schedule entry's shape (left as is where it is not one:
    the model's validation then names the fault)."""
    if not isinstance(item, dict):
        return item
    out = dict(item)
    if isinstance(item.get("months"), list):
        out["months"] = [_name(_MONTH_NAMES, m) for m in item["months"]]
    if isinstance(item.get("days_and_hours"), list):
        out["days_and_hours"] = [_day_rule(rule, market) for rule in item["days_and_hours"]]
    return out


def _day_rule(rule: Any, market: bool) -> Any:
    if not isinstance(rule, dict):
        return rule
    out = dict(rule)
    if isinstance(rule.get("days"), list):
        out["days"] = [_name(_DAY_NAMES, d) for d in rule["days"]]
    if isinstance(rule.get("hours"), list):
        out["hours"] = [_window(window, market) for window in rule["hours"]]
    return out


def _window(window: Any, market: bool) -> Any:
    if not isinstance(window, dict) or not isinstance(window.get("rate"), list):
        return window
    return {**window, "rate": [_tier(tier, market) for tier in window["rate"]]}


def _tier(tier: Any, market: bool) -> Any:
    """`{value, to_kwh}` (SDK) or `{fixed, to_kwh}` (anode) as our `{fixed, to_kwh}`; a
    market-rate tariff's tier may carry surcharges alone (the market price is its value)."""
    if not isinstance(tier, dict):
        return tier
    out = {key: value for key, value in tier.items() if key != "value"}
    if "value" in tier:
        if "fixed" in tier:
            raise PullFailed("a rate has both value and fixed")
        out["fixed"] = tier["value"]
    if market and out.get("fixed") is None:
        out.pop("fixed", None)
        return out
    out["fixed"] = _rounded(out.get("fixed"))
    if out.get("fixed") is None:
        raise PullFailed("a rate has no value")
    return out


def _rounded(value: Any) -> Any:
    """A number to the 5 decimals our rates keep (a module's pence/100 may carry float noise);
    anything else as it is, for the validation to refuse."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        return round(Decimal(repr(value)), 5)
    except (InvalidOperation, ValueError):
        raise PullFailed("a rate is not a finite number") from None


def _name(names: dict[str, str], value: Any) -> Any:
    return names.get(value.strip().casefold(), value) if isinstance(value, str) else value


def _moment(value: Any, field: str) -> datetime | None:
    """An RFC 3339 date-time as UTC; None when absent or the zero time ("no end")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PullFailed(f"{field} is not a date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PullFailed(f"{field} is not an RFC 3339 date-time") from None
    if parsed.year == _ZERO_YEAR:
        return None
    if parsed.tzinfo is None:
        raise PullFailed(f"{field} has no UTC offset")
    return parsed.astimezone(UTC)


def expiry(answer: Any) -> datetime | None:
    """The provider_tariff_expiry_date of an answer `parse` has already accepted, as UTC."""
    return _moment(answer.get("provider_tariff_expiry_date"), "provider_tariff_expiry_date")
