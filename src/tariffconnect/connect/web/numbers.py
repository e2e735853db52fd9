"""Money as the hosted pages take and show it: rates per kWh in the currency's minor unit
(p/kWh, ct/kWh, ¢/kWh, öre/øre) where it has one of two decimals, numbers as people type
them, and the machine's major-unit amounts as a field shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from tariffconnect.connect.flow import inputs as machine_inputs
from tariffconnect.connect.flow.money import to_decimal

MAX_DECIMALS = 4  # what a person may type, at most; never more than the machine takes:
MACHINE_DECIMALS = machine_inputs.MAX_DECIMALS  # amounts in major units
PERCENT_DECIMALS = 3  # the machine's limit for a surcharge percentage

_NUMBER = re.compile(r"([+-]?)(\d{0,9})(?:[.,](\d*))?")

# Formats a number for an input in the page's locale (its decimal separator, no grouping).
NumberText = Callable[[Decimal], str]


def decimals_for(factor: int) -> int:
    """How many decimals a person may type for an amount entered in units of 1/factor: at
    most MAX_DECIMALS, and no more than the machine keeps once divided (24.123 p is
    0.24123 GBP: five decimals)."""
    return max(0, min(MAX_DECIMALS, MACHINE_DECIMALS - (len(str(factor)) - 1)))


def parse_number(text: str, places: int = MAX_DECIMALS) -> Decimal | None:
    """A number typed by a person: `24.5` or `24,5` (either decimal separator, no grouping),
    an optional sign; None for an empty field. Raises ValueError for anything else, or for
    more than `places` decimals."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus
    if not text:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        raise ValueError("not a number")
    sign, whole, fraction = match.group(1), match.group(2) or "0", match.group(3) or ""
    if len(fraction) > places:
        raise ValueError("too many decimals")
    try:
        return Decimal(f"{sign}{whole}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError("not a number") from None


def amount_text(value: Any, factor: int, number: NumberText) -> str:
    """A machine amount (major units) as the field shows it (times factor); "" for none or 0."""
    major = to_decimal(value)
    if major is None or major == 0:
        return ""
    return number(major * factor)
