"""Address validation and the derivation of time zone and currency (no HTTP)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import babel.core
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.core.errors import ApiError
from tariffconnect.locations import address
from tariffconnect.locations.address import STATE_REQUIRED

NO_CURRENCY = {"AQ"}  # Antarctica
COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)
SUPPORTED = [code for code in COUNTRIES if code not in NO_CURRENCY]


def derive(country: str, state: str | None = None, city: str | None = "Town") -> address.Address:
    return address.validate(
        address_line1=None,
        address_line2=None,
        city=city,
        state=state,
        post_code=None,
        country_code=country,
    )


def subdivisions(country: str) -> list[pycountry.db.Data]:
    return sorted(
        (s for s in pycountry.subdivisions if s.country_code == country), key=lambda s: s.code
    )


def assert_error_code(code: str, **fields: str | None) -> None:
    with pytest.raises(ApiError) as caught:
        derive(**fields)
    assert (caught.value.status, caught.value.code) == (400, code)


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_derives_a_zone_and_a_currency_or_is_not_supported(country):
    state = subdivisions(country)[0].code.split("-", 1)[1] if country in STATE_REQUIRED else None
    if country in NO_CURRENCY:
        assert_error_code("country_code_not_supported", country=country)
        return
    derived = derive(country.lower(), state)
    assert derived.country_code == country
    assert ZoneInfo(derived.timezone).key == derived.timezone
    assert re.fullmatch(r"[A-Z]{3}", derived.currency_code)


def _valid_country_and_state():
    def with_state(country: str) -> st.SearchStrategy[tuple[str, str | None]]:
        if country not in STATE_REQUIRED:
            return st.just((country, None))
        names = [n for s in subdivisions(country) for n in (s.code.split("-", 1)[1], s.name)]
        spelled = st.sampled_from(names).flatmap(
            lambda name: st.sampled_from([name, name.lower(), name.upper()])
        )
        return spelled.map(lambda name: (country, name))

    return st.sampled_from(SUPPORTED).flatmap(with_state)


@given(_valid_country_and_state())
def test_property_any_valid_country_and_state_derives_a_real_zone_and_currency(pair):
    country, state = pair
    derived = derive(country, state)
    assert ZoneInfo(derived.timezone).key == derived.timezone
    assert re.fullmatch(r"[A-Z]{3}", derived.currency_code)


def test_every_multi_zone_country_has_a_curated_zone():
    tables = address._tables()
    multi = {
        territory
        for territory, zones in babel.core.get_global("territory_zones").items()
        if len(zones) > 1 and territory in COUNTRIES
    }
    curated = set(tables.country_zones) | STATE_REQUIRED
    assert multi - curated - NO_CURRENCY == set()


@pytest.mark.parametrize("country", sorted(STATE_REQUIRED))
def test_state_table_covers_exactly_the_iso_subdivisions(country):
    iso = {s.code.split("-", 1)[1] for s in subdivisions(country)}
    assert set(address._tables().subdivision_zones[country]) == iso


def test_every_shipped_zone_loads():
    for zone in address._all_zones(address._tables()):
        assert ZoneInfo(zone).key == zone


@pytest.mark.parametrize(
    ("country", "state", "stored", "zone", "currency"),
    [
        ("US", "TX", "TX", "America/Chicago", "USD"),
        ("US", "Texas", "TX", "America/Chicago", "USD"),
        ("us", "in", "IN", "America/Indiana/Indianapolis", "USD"),
        ("US", "AZ", "AZ", "America/Phoenix", "USD"),
        ("US", "US-CA", "CA", "America/Los_Angeles", "USD"),
        ("US", " new  york ", "NY", "America/New_York", "USD"),
        ("CA", "Québec", "QC", "America/Toronto", "CAD"),
        ("CA", "Quebec", "QC", "America/Toronto", "CAD"),
        ("CA", "SK", "SK", "America/Regina", "CAD"),
        ("AU", "NT", "NT", "Australia/Darwin", "AUD"),
        ("AU", "Queensland", "QLD", "Australia/Brisbane", "AUD"),
        ("AU", "nsw", "NSW", "Australia/Sydney", "AUD"),
        ("ES", None, None, "Europe/Madrid", "EUR"),
        ("ES", "Madrid", "Madrid", "Europe/Madrid", "EUR"),
        ("ES", "CN", "CN", "Atlantic/Canary", "EUR"),
        ("ES", "Canary Islands", "Canary Islands", "Atlantic/Canary", "EUR"),
        ("ES", "Tenerife", "Tenerife", "Atlantic/Canary", "EUR"),
        ("PT", None, None, "Europe/Lisbon", "EUR"),
        ("PT", "Azores", "Azores", "Atlantic/Azores", "EUR"),
        ("BR", "SP", "SP", "America/Sao_Paulo", "BRL"),
        ("MX", None, None, "America/Mexico_City", "MXN"),
        ("RU", None, None, "Europe/Moscow", "RUB"),
        ("GB", None, None, "Europe/London", "GBP"),
        ("DE", "Bayern", "Bayern", "Europe/Berlin", "EUR"),
        ("JP", None, None, "Asia/Tokyo", "JPY"),
    ],
)
def test_known_derivations(country, state, stored, zone, currency):
    derived = derive(country, state)
    assert (derived.state, derived.timezone, derived.currency_code) == (stored, zone, currency)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"country": None}, "country_code_missing"),
        ({"country": "  "}, "country_code_missing"),
        ({"country": "XX"}, "country_code_invalid"),
        ({"country": "GBR"}, "country_code_invalid"),
        ({"country": "AQ"}, "country_code_not_supported"),
        ({"country": "GB", "city": None}, "city_missing"),
        ({"country": "GB", "city": " \t"}, "city_missing"),
        ({"country": "US"}, "state_missing"),
        ({"country": "CA", "state": " "}, "state_missing"),
        ({"country": "AU"}, "state_missing"),
        ({"country": "US", "state": "XX"}, "state_invalid"),
        ({"country": "US", "state": "NSW"}, "state_invalid"),
        ({"country": "AU", "state": "California"}, "state_invalid"),
        # One input, one code: the country is checked before the city, the city before the state.
        ({"country": "XX", "city": None}, "country_code_invalid"),
        ({"country": "US", "city": None}, "city_missing"),
    ],
)
def test_invalid_addresses(fields, code):
    assert_error_code(code, **fields)


def test_whitespace_is_trimmed_and_blank_optional_fields_are_null():
    derived = address.validate(
        address_line1="  1 High St ",
        address_line2="",
        city=" London ",
        state=" ",
        post_code=" SW1A 1AA",
        country_code=" gb ",
    )
    assert derived == address.Address(
        address_line1="1 High St",
        address_line2=None,
        city="London",
        state=None,
        post_code="SW1A 1AA",
        country_code="GB",
        timezone="Europe/London",
        currency_code="GBP",
    )
