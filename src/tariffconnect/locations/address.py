"""Postal addresses: validation, and the time zone and currency an address implies.

Pure functions over shipped data (pycountry, babel's CLDR tables, data/timezones.json); no
database. The rules are documented in docs/locations.md.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import babel.core
import babel.numbers
import pycountry

from tariffconnect.core.errors import invalid

# Where the time zone (and the market) depends on the state, a state is required.
STATE_REQUIRED = frozenset({"US", "CA", "AU"})


@dataclass(frozen=True, slots=True)
class Address:
    """A validated postal address with what it implies."""

    address_line1: str | None
    address_line2: str | None
    city: str
    state: str | None
    post_code: str | None
    country_code: str
    timezone: str
    currency_code: str


@dataclass(frozen=True, slots=True)
class ZoneTables:
    subdivision_zones: dict[str, dict[str, str]]
    country_zones: dict[str, str]
    regional_zones: dict[str, dict[str, str]]
    region_aliases: dict[str, dict[str, str]]


def validate(
    *,
    address_line1: str | None,
    address_line2: str | None,
    city: str | None,
    state: str | None,
    post_code: str | None,
    country_code: str | None,
) -> Address:
    """Check an address as a whole and derive its zone and currency, or raise a 400.

    The checks run in a fixed order (country, city, state) so one input gives one code.
    """
    country = normalise_country(country_code)
    currency = currency_for(country)
    city = _clean(city)
    if city is None:
        raise invalid("city_missing", "postal_address.city is required.")
    state = normalise_state(country, state)
    return Address(
        address_line1=_clean(address_line1),
        address_line2=_clean(address_line2),
        city=city,
        state=state,
        post_code=_clean(post_code),
        country_code=country,
        timezone=timezone_for(country, state),
        currency_code=currency,
    )


def normalise_country(value: str | None) -> str:
    """The ISO 3166-1 alpha-2 code in upper case; lower case is accepted."""
    code = _clean(value)
    if code is None:
        raise invalid("country_code_missing", "postal_address.country_code is required.")
    code = code.upper()
    if code not in _countries():
        raise invalid(
            "country_code_invalid",
            "postal_address.country_code must be an ISO 3166-1 alpha-2 code, such as GB.",
        )
    return code


def currency_for(country: str) -> str:
    """The country's legal-tender currency today (ISO 4217), per CLDR."""
    currencies = babel.numbers.get_territory_currencies(country, tender=True)
    if not currencies:  # Antarctica: no currency, so no tariff can be priced there
        raise invalid("country_code_not_supported", f"Locations in {country} are not supported.")
    return str(currencies[0])


def normalise_state(country: str, value: str | None) -> str | None:
    """For US, CA and AU the subdivision's code (`CA`, `NSW`); elsewhere the value as given."""
    state = _clean(value)
    if country not in STATE_REQUIRED:
        return state
    if state is None:
        raise invalid("state_missing", f"postal_address.state is required in {country}.")
    code = _subdivisions(country).get(_key(state))
    if code is None:
        raise invalid(
            "state_invalid",
            f"postal_address.state is not a state of {country}: give its code (such as "
            "TX or NSW) or its full name.",
        )
    return code


def timezone_for(country: str, state: str | None) -> str:
    """The IANA zone for a validated country and state (see docs/locations.md)."""
    tables = _tables()
    if country in STATE_REQUIRED:
        return tables.subdivision_zones[country][str(state)]
    regional = tables.regional_zones.get(country, {})
    if regional and state is not None:
        code = _regions(country).get(_key(state))
        if code in regional:
            return regional[str(code)]
    zones = _territory_zones().get(country, [])
    if len(zones) == 1:
        return _checked_zone(zones[0])
    if country not in tables.country_zones:
        # data/timezones.json must name a zone for every multi-zone country; a test checks.
        raise LookupError(f"no time zone for {country} in data/timezones.json")
    return tables.country_zones[country]


def _clean(value: str | None) -> str | None:
    """Surrounding whitespace dropped; blank is absent."""
    if value is None:
        return None
    return value.strip() or None


def _key(text: str) -> str:
    """Match key for names: accents, case and repeated spaces do not matter."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _subdivisions(country: str) -> dict[str, str]:
    """Match key -> short code for every ISO 3166-2 subdivision: `CA`, `US-CA`, `California`."""
    index: dict[str, str] = {}
    for subdivision in pycountry.subdivisions:
        if subdivision.country_code != country:
            continue
        short = subdivision.code.split("-", 1)[1]
        for name in (short, subdivision.code, subdivision.name):
            index[_key(name)] = short
    return index


@cache
def _regions(country: str) -> dict[str, str]:
    """Like `_subdivisions`, plus the common names in data/timezones.json (`Canary Islands`)."""
    index = dict(_subdivisions(country))
    for alias, code in _tables().region_aliases.get(country, {}).items():
        index[_key(alias)] = code
    return index


@cache
def _territory_zones() -> Mapping[str, list[str]]:
    zones: Mapping[str, list[str]] = babel.core.get_global("territory_zones")
    return zones


@cache
def _checked_zone(zone: str) -> str:
    """`zone` if zoneinfo knows it; an unknown one is a data error, not the caller's."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise LookupError(f"unknown time zone {zone!r}") from error
    return zone


@cache
def _tables() -> ZoneTables:
    """Load data/timezones.json once, checking every zone in it up front."""
    raw: dict[str, Any] = json.loads(
        resources.files("tariffconnect").joinpath("data/timezones.json").read_text("utf-8")
    )
    tables = ZoneTables(
        subdivision_zones=raw["subdivision_zones"],
        country_zones=raw["country_zones"],
        regional_zones=raw["regional_zones"],
        region_aliases=raw["region_aliases"],
    )
    for zone in _all_zones(tables):
        _checked_zone(zone)
    return tables


def _all_zones(tables: ZoneTables) -> list[str]:
    nested = [*tables.subdivision_zones.values(), *tables.regional_zones.values()]
    return [*tables.country_zones.values(), *(z for table in nested for z in table.values())]
