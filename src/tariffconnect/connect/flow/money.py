"""Money as customers read it: rates per kWh in the currency's minor unit (p/kWh, ct/kWh,
¢/kWh, öre/øre) where it has one of two decimals, and the machine's amounts as numbers.

Shared by the flow's descriptions (`describe`) and the hosted pages (`web.numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import babel.numbers

# Minor units shown for rates, where the currency has one of two decimals.
MINOR_UNITS = {
    "GBP": "p",
    "EUR": "ct",
    "USD": "¢",
    "CAD": "¢",
    "AUD": "c",
    "NZD": "c",
    "SEK": "öre",
    "NOK": "øre",
    "DKK": "øre",
    "CHF": "Rp.",
}


@dataclass(frozen=True, slots=True)
class RateUnit:
    """How a currency's rates are entered: the entered number ÷ `factor` = major units."""

    minor_symbol: str | None
    factor: int


def rate_unit(currency_code: str | None) -> RateUnit:
    code = (currency_code or "").upper()
    symbol = MINOR_UNITS.get(code)
    if symbol is not None and babel.numbers.get_currency_precision(code) == 2:
        return RateUnit(symbol, 100)
    return RateUnit(None, 1)


def to_decimal(value: Any) -> Decimal | None:
    """A number from the machine's render data (int, float, numeric text); None for anything
    else, or for infinity and NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None
