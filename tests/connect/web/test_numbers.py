"""Numbers as people type them, rates in minor units, and amounts as fields show them."""

from decimal import Decimal

import pytest

from tariffconnect.connect.flow.money import RateUnit, rate_unit, to_decimal
from tariffconnect.connect.web.numbers import amount_text, decimals_for, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24,5", Decimal("24.5")),
        ("24.5", Decimal("24.5")),
        (" 7 ", Decimal(7)),
        ("-3", Decimal(-3)),
        ("\u22122", Decimal(-2)),
        (".5", Decimal("0.5")),
        ("0,1234", Decimal("0.1234")),
        ("", None),
        ("  ", None),
    ],
)
def test_numbers_people_type(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1,234.5", "24.12345", "abc", "1e3", "24 5", "-", ",", "5%"])
def test_numbers_refused(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_rate_units():
    assert rate_unit("GBP") == RateUnit("p", 100)
    assert rate_unit("EUR") == RateUnit("ct", 100)
    assert rate_unit("usd") == RateUnit("¢", 100)
    assert rate_unit("SEK") == RateUnit("öre", 100)
    assert rate_unit("NOK") == RateUnit("øre", 100)
    assert rate_unit("DKK") == RateUnit("øre", 100)
    assert rate_unit("JPY") == RateUnit(None, 1)  # no minor unit in use
    assert rate_unit(None) == RateUnit(None, 1)


def test_decimals_are_what_the_machine_keeps_once_divided():
    # The machine keeps 5 decimals of major units: 3 of pence, 4 of a major unit.
    assert (decimals_for(100), decimals_for(1)) == (3, 4)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Decimal(1)),
        (0.245, Decimal("0.245")),
        ("0.5", Decimal("0.5")),
        (Decimal("2.5"), Decimal("2.5")),
        (True, None),
        (None, None),
        ("abc", None),
        ("inf", None),
        ("NaN", None),
        ([1], None),
    ],
)
def test_to_decimal_takes_numbers_of_the_render_data_only(value, expected):
    assert to_decimal(value) == expected


def test_amount_text_shows_major_units_in_the_fields_unit():
    def text(value):
        return f"<{value}>"

    assert amount_text(0.245, 100, text) == "<24.500>"
    assert amount_text("0.3", 1, text) == "<0.3>"
    assert [amount_text(v, 100, text) for v in (0, None, "x", False, float("inf"))] == [""] * 5
