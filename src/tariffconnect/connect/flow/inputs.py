"""Checks of what the customer typed: addresses, rates, time periods, standing charges,
surcharges, names and dates.

Each check answers the reference front end's error codes (`cost_value_negative`,
`gap_in_time_period`, …) with a message a customer can act on, and names the field at fault
by its path in the submit's `data` (`hours[1].cost`). A submit's checks go on after the first
problem, so its error lists every problem (core/errors.py `Problems`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS
from tariffconnect.core.errors import (
    ApiError,
    Problem,
    Problems,
    from_validation_errors,
    invalid_input,
)
from tariffconnect.core.wire import in_range
from tariffconnect.locations import address as addresses
from tariffconnect.locations.schemas import PostalAddressIn

MAX_RATE = Decimal(1000)  # per kWh, in major units: far above any real tariff
MAX_STANDING_CHARGE = Decimal(1000)  # per day, in major units: as far above any real one
MAX_DECIMALS = 5
MAX_MAGNITUDE = 15  # 1e16 and above is no amount (each has its own, far lower, limit)
MAX_PERIODS = 48
DAY_SECONDS = 24 * 3600
TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")  # HH:mm[:ss]
UNTIL_TERMINATED = "0001-01-01T00:00:00Z"  # the zero release's spelling of "no end date"
# What Connect needs of an address: enough to find providers and a market region.
ADDRESS_REQUIRED = ("address_line1", "city", "post_code", "country_code")


def _invalid(code: str, message: str, field: str | None) -> ApiError:
    """The 400 for one problem, about the field at path `field` of the submit's data."""
    return invalid_input([Problem(code, message, field)])


def section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """`data[name]`, which must be an object."""
    value = data.get(name)
    if value is None:
        raise _invalid(f"{name}_missing", f"data.{name} is required.", name)
    if not isinstance(value, dict):
        raise _invalid(f"{name}_invalid", f"data.{name} must be an object.", name)
    return value


def number(value: Any, code: str, field: str | None = None) -> Decimal:
    """A JSON number (or a numeric string, comma or dot) with at most 5 decimals; `code` is
    the prefix of its error codes, `field` its path (`code` when not given)."""
    field = field or code
    if value is None or value == "":
        raise _invalid(f"{code}_missing", f"{code} is required.", field)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(f"{code}_invalid", f"{code} must be a number.", field)
    try:
        parsed = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _invalid(f"{code}_invalid", f"{code} must be a number.", field) from None
    if not parsed.is_finite():
        raise _invalid(f"{code}_invalid", f"{code} must be a number.", field)
    if parsed.is_zero():
        return Decimal(0)  # 0E+999999999 too: its exponent says nothing of its size
    # Bounded before normalize(): normalizing 1e999999999 overflows, and 1e-999999999 would
    # round to a zero that passes for a price.
    if parsed.adjusted() > MAX_MAGNITUDE:
        raise _invalid(f"{code}_invalid", f"{code} must be a number below 1e16.", field)
    if parsed.adjusted() < -MAX_DECIMALS:
        decimals = -parsed.adjusted()
    else:
        decimals = -int(parsed.normalize().as_tuple().exponent)
    if decimals > MAX_DECIMALS:
        message = f"{code} may have at most {MAX_DECIMALS} decimals."
        raise _invalid(f"{code}_invalid", message, field)
    return parsed


def cost(value: Any, code: str = "cost", field: str | None = None) -> Decimal:
    """A rate per kWh in major units: above zero and below 1000. `code` prefixes the codes
    of a value that is no number or too large, `field` is its path (`code` when not given)."""
    field = field or code
    parsed = number(value, code, field)
    if parsed < 0:
        raise _invalid("cost_value_negative", "A rate cannot be negative.", field)
    if parsed == 0:
        raise _invalid("cost_value_zero", "A rate cannot be zero.", field)
    if parsed >= MAX_RATE:
        raise _invalid(f"{code}_invalid", f"A rate must be below {MAX_RATE} per kWh.", field)
    return parsed


def standing_charge(value: Any, *, allowed: bool = True) -> Decimal | None:
    """An optional charge per day in major units (`data.standing_charge`): zero or more and
    below 1000; None when not given (the reference front end never sends it). Not `allowed`
    (an export tariff: nobody is paid a charge per day), any value is refused."""
    if value is None or value == "":
        return None
    if not allowed:
        message = "An export tariff has no standing charge."
        raise _invalid("standing_charge_not_supported", message, "standing_charge")
    parsed = number(value, "standing_charge", "standing_charge")
    if parsed < 0:
        message = "A standing charge cannot be negative."
        raise _invalid("standing_charge_value_negative", message, "standing_charge")
    if parsed >= MAX_STANDING_CHARGE:
        message = f"A standing charge must be below {MAX_STANDING_CHARGE} per day."
        raise _invalid("standing_charge_invalid", message, "standing_charge")
    return parsed


def fixed_rate(data: dict[str, Any], *, charged: bool = True) -> tuple[Decimal, Decimal | None]:
    """`rate_fixed_capture`'s answer: (the rate, the standing charge or None)."""
    problems = Problems()
    rate = problems.attempt(lambda: cost(data.get("cost")))
    charge = problems.attempt(lambda: standing_charge(data.get("standing_charge"), allowed=charged))
    problems.raise_found()
    assert rate is not None
    return rate, charge


def tod_rates(
    data: dict[str, Any], *, charged: bool = True
) -> tuple[list[dict[str, Any]], Decimal | None]:
    """`rate_tod_capture`'s answer: (the periods, the standing charge or None)."""
    problems = Problems()
    hours = problems.attempt(lambda: periods(data.get("hours")))
    charge = problems.attempt(lambda: standing_charge(data.get("standing_charge"), allowed=charged))
    problems.raise_found()
    assert hours is not None
    return hours, charge


def clock(value: Any, code: str, field: str) -> int:
    """`HH:MM:SS` (or `HH:MM`) as seconds since midnight."""
    match = TIME_OF_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _invalid(f"{code}_invalid", f"{code} must be a time of day as HH:mm:ss.", field)
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def _hhmm(seconds: int) -> str:
    seconds %= DAY_SECONDS
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def periods(value: Any) -> list[dict[str, Any]]:
    """Time-of-day periods that tile the whole day, each with a rate.

    A period runs from `valid_from` up to `valid_to`, across midnight when `valid_to` is not
    later; `00:00:00` to `00:00:00` is the whole day. Answered in start order, normalised to
    HH:mm:ss, with costs as numbers. Every period's own problems are found first; how the
    periods fit together is checked once each period is sound.
    """
    if value is None:
        raise _invalid("hours_missing", "data.hours is required.", "hours")
    if not isinstance(value, list) or not value or len(value) > MAX_PERIODS:
        message = f"data.hours must list 1 to {MAX_PERIODS} periods."
        raise _invalid("hours_invalid", message, "hours")
    problems = Problems()
    # (start, length, rate, the period's position in data.hours)
    spans: list[tuple[int, int, Decimal, int]] = []
    for index, entry in enumerate(value):
        at = f"hours[{index}]"
        if not isinstance(entry, dict):
            problems.add(_invalid("hours_invalid", "Each period must be an object.", at))
            continue
        found = _period(problems, entry, at)
        if found is not None:
            start, end, rate = found
            spans.append((start, (end - start) % DAY_SECONDS or DAY_SECONDS, rate, index))
    problems.raise_found()
    spans.sort(key=lambda span: span[0])
    for position, (start, length, _, index) in enumerate(spans):
        next_start = spans[(position + 1) % len(spans)][0]
        # How far the next period starts after this one; a lone period meets itself a day on.
        distance = (next_start - start) % DAY_SECONDS or (DAY_SECONDS if len(spans) == 1 else 0)
        end = start + length
        # The period's end is what does not meet the next period's start.
        at = f"hours[{index}].valid_to"
        if distance < length:
            message = f"Periods overlap between {_hhmm(next_start)} and {_hhmm(end)}."
            problems.add(_invalid("overlap_in_time_period", message, at))
        elif distance > length:
            code = "incomplete_time_period" if len(spans) == 1 else "gap_in_time_period"
            message = (
                f"Gap between {_hhmm(end)} and {_hhmm(next_start)}: the periods "
                "must cover all 24 hours."
            )
            problems.add(_invalid(code, message, at))
    problems.raise_found()
    return [
        {
            "valid_from": _hms(start),
            "valid_to": _hms(start + length),
            "cost": float(rate),
        }
        for start, length, rate, _ in spans
    ]


def _period(problems: Problems, entry: dict[str, Any], at: str) -> tuple[int, int, Decimal] | None:
    """(start, end, rate) of the period at path `at`; None, its problems kept, if unsound."""
    start = problems.attempt(
        lambda: clock(entry.get("valid_from"), "valid_from", f"{at}.valid_from")
    )
    end = problems.attempt(lambda: clock(entry.get("valid_to"), "valid_to", f"{at}.valid_to"))
    rate = problems.attempt(lambda: cost(entry.get("cost"), field=f"{at}.cost"))
    if start is None or end is None or rate is None:
        return None
    return start, end, rate


def _hms(seconds: int) -> str:
    seconds %= DAY_SECONDS
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def surcharge(data: dict[str, Any], *, negative_fixed: bool = False) -> tuple[Decimal, Decimal]:
    """(fixed, percentage): a fixed amount per kWh, then a percentage on top (5 means 5%).
    The fixed amount may be below zero only with `negative_fixed` (a market export tariff:
    `cost_value_negative` otherwise, as for any rate)."""
    given = section(data, "surcharge")
    problems = Problems()
    fixed = problems.attempt(lambda: _surcharge_fixed(given.get("fixed"), negative_fixed))
    percentage = problems.attempt(lambda: _surcharge_percentage(given.get("percentage")))
    problems.raise_found()
    assert fixed is not None and percentage is not None
    return fixed, percentage


def _surcharge_fixed(value: Any, negative: bool) -> Decimal:
    field = "surcharge.fixed"
    fixed = number(value if value != "" else 0, "surcharge_fixed", field)
    if fixed < 0 and not negative:
        raise _invalid("cost_value_negative", "A surcharge cannot be negative here.", field)
    if not Decimal(-10) < fixed < MAX_RATE:
        raise _invalid("surcharge_fixed_invalid", "The fixed surcharge is out of range.", field)
    return fixed


def _surcharge_percentage(value: Any) -> Decimal:
    field, code = "surcharge.percentage", "surcharge_percentage_invalid"
    percentage = number(value if value != "" else 0, "surcharge_percentage", field)
    exponent = percentage.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 3:
        raise _invalid(code, "The percentage may have 3 decimals.", field)
    if not Decimal(-100) < percentage <= Decimal(1000):
        raise _invalid(code, "The percentage must be above -100 and at most 1000.", field)
    return percentage


def name(value: Any, code: str, what: str) -> str:
    """A non-empty name of at most 255 characters, trimmed. The code names the field:
    `provider_name` is `provider.name`, `tariff_name` is `tariff.name`."""
    field = code.replace("_", ".", 1)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _invalid(f"{code}_missing", f"Please enter the {what}.", field)
    if not isinstance(value, str) or len(value.strip()) > 255 or not value.isprintable():
        message = f"The {what} must be text of at most 255 characters."
        raise _invalid(f"{code}_invalid", message, field)
    return " ".join(value.split())


def postal_address(data: dict[str, Any]) -> tuple[PostalAddressIn, addresses.Address]:
    """`data.postal_address` as the location takes it, and checked as a whole (its time zone
    and currency found). Every field's problems are found before the address as a whole is
    checked."""
    given = section(data, "postal_address")
    address = {key: given.get(key) for key in ADDRESS_FIELDS}
    problems = Problems()
    for key, value in address.items():
        at = f"postal_address.{key}"
        if key in ADDRESS_REQUIRED and (not isinstance(value, str) or not value.strip()):
            problems.add(_invalid(f"{key}_missing", f"{at} is required.", at))
        elif value is not None and not isinstance(value, str):
            problems.add(
                _invalid("postal_address_invalid", "Every address field must be text.", at)
            )
    problems.raise_found()
    try:
        checked = PostalAddressIn.model_validate({k: v or None for k, v in address.items()})
    except ValidationError as error:  # too long, or a control character
        found = from_validation_errors(error.errors()).problems
        raise invalid_input([_in_address(problem) for problem in found]) from None
    try:
        return checked, addresses.validate(**checked.model_dump())
    except ApiError as error:  # no such country, a postcode of the wrong form, ...
        named = next((k for k in ADDRESS_FIELDS if error.code.startswith(f"{k}_")), None)
        field = None if named is None else f"postal_address.{named}"
        raise _invalid(error.code, error.message, field) from None


def _in_address(problem: Problem) -> Problem:
    field = None if problem.field is None else f"postal_address.{problem.field}"
    return Problem(problem.code, problem.message, field)


def contract(
    data: dict[str, Any] | None, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(end, start) of the contract: the end None for "until terminated" (no data, a null
    date, the zero release's `0001-01-01T00:00:00Z`, or anode's `contract_term_type:
    UNTIL_TERMINATED`); the start, which zero's contract page may send too, None when not
    given."""
    problems = Problems()
    end = problems.attempt(lambda: _contract_end(data, now=now))
    start = problems.attempt(lambda: _contract_start(data))
    problems.raise_found()
    return end, start


def _contract_end(data: dict[str, Any] | None, *, now: datetime) -> datetime | None:
    if not data or data.get("contract_term_type") == "UNTIL_TERMINATED":
        return None
    field = "contract_end_date"
    parsed = _date(data.get(field), field)
    if parsed is not None and parsed <= now:
        message = "The contract end date must be in the future."
        raise _invalid("contract_end_date_invalid", message, field)
    return parsed


def _contract_start(data: dict[str, Any] | None) -> datetime | None:
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
        message = f"{field} must lie between 1900-01-01 and 9000-01-01."
        raise _invalid(f"{field}_invalid", message, field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _date_invalid(field: str) -> ApiError:
    return _invalid("date_format_invalid", f"{field} must be a date such as 2027-06-30.", field)
