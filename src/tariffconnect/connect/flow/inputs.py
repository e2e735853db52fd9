"""Checks of what the customer typed: rates, time periods, surcharges, names and dates.

Each check answers the reference front end's error codes (`cost_value_negative`,
`gap_in_time_period`, …) with a message a customer can act on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.wire import in_range

MAX_RATE = Decimal(1000)  # per kWh, in major units: far above any real tariff
MAX_DECIMALS = 5
MAX_PERIODS = 48
DAY_SECONDS = 24 * 3600
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")  # HH:mm[:ss]
UNTIL_TERMINATED = "0001-01-01T00:00:00Z"  # the zero release's spelling of "no end date"


def section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """`data[name]`, which must be an object."""
    value = data.get(name)
    if value is None:
        raise invalid(f"{name}_missing", f"data.{name} is required.")
    if not isinstance(value, dict):
        raise invalid(f"{name}_invalid", f"data.{name} must be an object.")
    return value


def number(value: Any, field: str) -> Decimal:
    """A JSON number (or a numeric string, comma or dot) with at most 5 decimals."""
    if value is None or value == "":
        raise invalid(f"{field}_missing", f"{field} is required.")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(f"{field}_invalid", f"{field} must be a number.")
    try:
        parsed = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise invalid(f"{field}_invalid", f"{field} must be a number.") from None
    if not parsed.is_finite():
        raise invalid(f"{field}_invalid", f"{field} must be a number.")
    exponent = parsed.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise invalid(f"{field}_invalid", f"{field} may have at most {MAX_DECIMALS} decimals.")
    return parsed


def cost(value: Any, field: str = "cost") -> Decimal:
    """A rate per kWh in major units: above zero and below 1000."""
    parsed = number(value, field)
    if parsed < 0:
        raise invalid("cost_value_negative", "A rate cannot be negative.")
    if parsed == 0:
        raise invalid("cost_value_zero", "A rate cannot be zero.")
    if parsed >= MAX_RATE:
        raise invalid(f"{field}_invalid", f"A rate must be below {MAX_RATE} per kWh.")
    return parsed


def clock(value: Any, field: str) -> int:
    """`HH:MM:SS` (or `HH:MM`) as seconds since midnight."""
    match = TIME_OF_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(f"{field}_invalid", f"{field} must be a time of day as HH:mm:ss.")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def _hhmm(seconds: int) -> str:
    seconds %= DAY_SECONDS
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def periods(value: Any) -> list[dict[str, Any]]:
    """Time-of-day periods that tile the whole day, each with a rate.

    A period runs from `valid_from` up to `valid_to`, across midnight when `valid_to` is not
    later; `00:00:00` to `00:00:00` is the whole day. Answered in start order, normalised to
    HH:mm:ss, with costs as numbers.
    """
    if value is None:
        raise invalid("hours_missing", "data.hours is required.")
    if not isinstance(value, list) or not value or len(value) > MAX_PERIODS:
        raise invalid("hours_invalid", f"data.hours must list 1 to {MAX_PERIODS} periods.")
    spans: list[tuple[int, int, Decimal]] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise invalid("hours_invalid", "Each period must be an object.")
        start = clock(entry.get("valid_from"), "valid_from")
        end = clock(entry.get("valid_to"), "valid_to")
        length = (end - start) % DAY_SECONDS or DAY_SECONDS
        spans.append((start, length, cost(entry.get("cost"))))
    spans.sort(key=lambda span: span[0])
    for index, (start, length, _) in enumerate(spans):
        next_start = spans[(index + 1) % len(spans)][0]
        # How far the next period starts after this one; a lone period meets itself a day on.
        distance = (next_start - start) % DAY_SECONDS or (DAY_SECONDS if len(spans) == 1 else 0)
        end = start + length
        if distance < length:
            raise invalid(
                "overlap_in_time_period",
                f"Periods overlap between {_hhmm(next_start)} and {_hhmm(end)}.",
            )
        if distance > length:
            code = "incomplete_time_period" if len(spans) == 1 else "gap_in_time_period"
            raise invalid(
                code,
                f"Gap between {_hhmm(end)} and {_hhmm(next_start)}: the periods "
                "must cover all 24 hours.",
            )
    return [
        {
            "valid_from": _hms(start),
            "valid_to": _hms(start + length),
            "cost": float(rate),
        }
        for start, length, rate in spans
    ]


def _hms(seconds: int) -> str:
    seconds %= DAY_SECONDS
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def surcharge(data: dict[str, Any], *, negative_fixed: bool = False) -> tuple[Decimal, Decimal]:
    """(fixed, percentage): a fixed amount per kWh, then a percentage on top (5 means 5%).
    The fixed amount may be below zero only with `negative_fixed` (a market export tariff:
    `cost_value_negative` otherwise, as for any rate)."""
    given = section(data, "surcharge")
    fixed = number(given.get("fixed") if given.get("fixed") != "" else 0, "surcharge_fixed")
    percentage = number(
        given.get("percentage") if given.get("percentage") != "" else 0, "surcharge_percentage"
    )
    if fixed < 0 and not negative_fixed:
        raise invalid("cost_value_negative", "A surcharge cannot be negative here.")
    if not Decimal(-10) < fixed < MAX_RATE:
        raise invalid("surcharge_fixed_invalid", "The fixed surcharge is out of range.")
    exponent = percentage.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 3:
        raise invalid("surcharge_percentage_invalid", "The percentage may have 3 decimals.")
    if not Decimal(-100) < percentage <= Decimal(1000):
        raise invalid(
            "surcharge_percentage_invalid", "The percentage must be above -100 and at most 1000."
        )
    return fixed, percentage


def name(value: Any, code: str, what: str) -> str:
    """A non-empty name of at most 255 characters, trimmed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise invalid(f"{code}_missing", f"Please enter the {what}.")
    if not isinstance(value, str) or len(value.strip()) > 255 or not value.isprintable():
        raise invalid(f"{code}_invalid", f"The {what} must be text of at most 255 characters.")
    return " ".join(value.split())


def contract_end(data: dict[str, Any] | None, *, now: datetime) -> datetime | None:
    """The contract's end, or None for "until terminated" (no data, a null date, the zero
    release's `0001-01-01T00:00:00Z`, or anode's `contract_term_type: UNTIL_TERMINATED`)."""
    if not data or data.get("contract_term_type") == "UNTIL_TERMINATED":
        return None
    parsed = _date(data.get("contract_end_date"), "contract_end_date")
    if parsed is not None and parsed <= now:
        raise invalid("contract_end_date_invalid", "The contract end date must be in the future.")
    return parsed


def contract_start(data: dict[str, Any] | None) -> datetime | None:
    """The contract's start, which zero's contract page may send too; None when not given."""
    return _date((data or {}).get("contract_start_date"), "contract_start_date")


def _date(value: Any, field: str) -> datetime | None:
    """A date or RFC 3339 time (UTC when it has no offset); None for null or zero's
    `0001-01-01T00:00:00Z`."""
    if value is None or value == UNTIL_TERMINATED:
        return None
    if not isinstance(value, str):
        raise _date_invalid(field)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _date_invalid(field) from None
    try:
        in_range(parsed)
    except ValueError:
        raise invalid(
            f"{field}_invalid", f"{field} must lie between 1900-01-01 and 9000-01-01."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _date_invalid(field: str) -> ApiError:
    return invalid("date_format_invalid", f"{field} must be a date such as 2027-06-30.")
