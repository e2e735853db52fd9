"""Market sources and market regions: data/market_sources.json, loaded once and validated.

A market source (`mrs_…`) is one day-ahead price series that a market-indexed tariff follows,
as offered to the customers of one country. A country has either one source (no region to
choose) or several, one per region; for some countries the region can be derived from the
postal address (docs/market-sources.md says which, and how sure that is).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

DATA_PACKAGE = "tariffconnect.data"
DATA_FILE = "market_sources.json"
ID_PREFIX = "mrs"
ID_NAMESPACE = "market_source:"

# Outward code: area (1-2 letters), district digit, then a digit or letter (`SW1A`, `M11`).
_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_OUTWARD_RE = re.compile(_OUTWARD)
_FULL_POSTCODE_RE = re.compile(rf"({_OUTWARD})[0-9][A-Z]{{2}}")


FeedName = Literal["ENTSOE", "ENERGY_CHARTS", "ELEXON", "OCTOPUS"]
# Feeds of a retail tariff's own series (Agile: p/kWh with taxes, for energy bought). A source
# on them prices imports only; the others are wholesale auctions, which price both directions.
RETAIL_FEEDS: frozenset[str] = frozenset({"OCTOPUS"})


class MarketDataError(ValueError):
    """market_sources.json is malformed; the message says which entry and why."""


class MarketSource(BaseModel):
    """One price series as offered in one country (one row per country and region)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^mrs_[0-9a-f]{24}$")
    object: str = "market_source"
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)
    display_name: str = Field(min_length=1, max_length=255)
    bidding_zone: str = Field(min_length=1, max_length=32)
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    region: str | None = Field(default=None, min_length=1, max_length=100)
    currency_code: str = Field(pattern=r"^[A-Z]{3}$")
    resolution_minutes: Literal[15, 30, 60]
    publisher: str = Field(min_length=1, max_length=255)
    # The feeds that publish this series, in the order they are tried (docs/market-prices.md).
    feeds: tuple[FeedName, ...] = Field(min_length=1)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _SplitArea(_Frozen):
    """A GB postcode area served by more than one region: `default` for its districts not
    listed, `districts` for the others (a null value: not certain, ask the customer)."""

    default: str | None
    districts: dict[str, str | None]


class _GbPostcodeRule(_Frozen):
    method: Literal["gb_postcode"]
    gsp_groups: dict[str, str]  # GSP group id ("_A") -> region name
    areas: dict[str, str | _SplitArea | None]  # postcode area -> GSP group id, split, or null


class _Range(_Frozen):
    first: int = Field(ge=0)
    last: int = Field(ge=0)
    region: str


class _NumericPrefixRule(_Frozen):
    """Post codes of exactly `digits` digits; the number formed by the first `prefix_digits`
    of them falls in at most one range."""

    method: Literal["numeric_prefix"]
    digits: int = Field(ge=1, le=10)
    prefix_digits: int = Field(ge=1, le=10)
    ranges: tuple[_Range, ...]


_Rule = Annotated[_GbPostcodeRule | _NumericPrefixRule, Field(discriminator="method")]


class _File(_Frozen):
    sources: tuple[MarketSource, ...]
    region_rules: dict[str, _Rule]


@dataclass(frozen=True, slots=True)
class Catalogue:
    by_id: dict[str, MarketSource]
    ordered: tuple[MarketSource, ...]  # by id, ascending
    by_country: dict[str, tuple[MarketSource, ...]]  # in the file's (human) order
    rules: dict[str, _GbPostcodeRule | _NumericPrefixRule]


def derive_id(slug: str) -> str:
    """The id of the source with this slug: stable across releases and installations."""
    digest = hashlib.sha1((ID_NAMESPACE + slug).encode(), usedforsecurity=False).hexdigest()
    return f"{ID_PREFIX}_{digest[:24]}"


def parse(raw: bytes | str) -> Catalogue:
    """Validate the file's content and index it; raise MarketDataError on any problem."""
    try:
        data = _File.model_validate(json.loads(raw))
    except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError
        raise MarketDataError(f"{DATA_FILE} is invalid: {exc}") from exc
    by_id: dict[str, MarketSource] = {}
    slugs: set[str] = set()
    by_country: dict[str, list[MarketSource]] = {}
    for source in data.sources:
        if source.id in by_id or source.slug in slugs:
            raise MarketDataError(f"{DATA_FILE}: duplicate id or slug in {source.slug}")
        if source.id != derive_id(source.slug):
            raise MarketDataError(f"{DATA_FILE}: {source.slug} has id {source.id}, not derived")
        if source.object != "market_source":
            raise MarketDataError(f"{DATA_FILE}: {source.slug} has object {source.object!r}")
        by_id[source.id] = source
        slugs.add(source.slug)
        by_country.setdefault(source.country_code, []).append(source)
    for country, rows in by_country.items():
        _check_country(country, rows)
    for country, rule in data.region_rules.items():
        known = {s.region for s in by_country.get(country, []) if s.region is not None}
        if not known:
            raise MarketDataError(f"{DATA_FILE}: region rule for {country}, which has no regions")
        if isinstance(rule, _GbPostcodeRule):
            _check_gb_rule(country, rule, known)
        else:
            _check_numeric_rule(country, rule, known)
    return Catalogue(
        by_id=by_id,
        ordered=tuple(sorted(data.sources, key=lambda s: s.id)),
        by_country={country: tuple(rows) for country, rows in by_country.items()},
        rules=dict(data.region_rules),
    )


def _check_country(country: str, rows: list[MarketSource]) -> None:
    if len(rows) == 1:
        if rows[0].region is not None:
            raise MarketDataError(f"{DATA_FILE}: {country} has one source, so no region")
        return
    regions = [row.region for row in rows]
    if None in regions:
        raise MarketDataError(f"{DATA_FILE}: every source of {country} needs a region")
    if len({str(r).casefold() for r in regions}) != len(regions):
        raise MarketDataError(f"{DATA_FILE}: {country} has a region twice")


def _check_gb_rule(country: str, rule: _GbPostcodeRule, known: set[str]) -> None:
    if set(rule.gsp_groups.values()) != known or len(rule.gsp_groups) != len(known):
        raise MarketDataError(f"{DATA_FILE}: {country} gsp_groups must name each region once")
    for area, value in rule.areas.items():
        if not re.fullmatch(r"[A-Z]{1,2}", area):
            raise MarketDataError(f"{DATA_FILE}: {country} postcode area {area!r} is malformed")
        targets = [value]
        if isinstance(value, _SplitArea):
            targets = [value.default, *value.districts.values()]
            for district in value.districts:
                if _OUTWARD_RE.fullmatch(district) is None or _area_of(district) != area:
                    raise MarketDataError(f"{DATA_FILE}: district {district} is not in {area}")
        for target in targets:
            if target is not None and target not in rule.gsp_groups:
                raise MarketDataError(f"{DATA_FILE}: {country} {area} -> unknown {target!r}")


def _check_numeric_rule(country: str, rule: _NumericPrefixRule, known: set[str]) -> None:
    if rule.prefix_digits > rule.digits:
        raise MarketDataError(f"{DATA_FILE}: {country} prefix_digits exceeds digits")
    limit = 10**rule.prefix_digits - 1
    previous = -1
    for entry in sorted(rule.ranges, key=lambda r: r.first):
        if not previous < entry.first <= entry.last <= limit:
            raise MarketDataError(f"{DATA_FILE}: {country} range {entry.first}-{entry.last}")
        if entry.region not in known:
            raise MarketDataError(f"{DATA_FILE}: {country} range -> unknown {entry.region!r}")
        previous = entry.last


@cache
def load() -> Catalogue:
    """The shipped data, read and validated on first use and then kept."""
    return parse(files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes())


def all_sources() -> tuple[MarketSource, ...]:
    """Every market source, by id."""
    return load().ordered


def get(source_id: str) -> MarketSource | None:
    """The source with this id, or None."""
    return load().by_id.get(source_id)


def find(slug_or_id: str) -> MarketSource | None:
    """The source with this slug (`de-lu`) or id (`mrs_…`), or None."""
    return next((s for s in all_sources() if slug_or_id in (s.slug, s.id)), None)


def _country(country_code: str | None) -> str:
    return (country_code or "").strip().upper()


def has_market(country_code: str) -> bool:
    """True when customers in this country can follow at least one market source."""
    return _country(country_code) in load().by_country


def regions(country_code: str) -> list[str]:
    """The regions to choose from in this country, in a stable human order (as in the file);
    [] when the country has a single source or none."""
    rows = load().by_country.get(_country(country_code), ())
    if len(rows) < 2:
        return []
    return [row.region for row in rows if row.region is not None]


def source_for(country_code: str, region: str | None) -> MarketSource | None:
    """The country's single source (whatever `region` says), or the source of `region`
    (exact, else case-insensitive match); None when nothing matches."""
    rows = load().by_country.get(_country(country_code), ())
    if len(rows) == 1:
        return rows[0]
    if region is None:
        return None
    for row in rows:
        if row.region == region:
            return row
    wanted = region.strip().casefold()
    return next((row for row in rows if (row.region or "").casefold() == wanted), None)


def region_for(country_code: str, post_code: str | None, state: str | None = None) -> str | None:
    """The region derived from the address when the data makes it certain, else None (the
    customer is asked). None as well for a country with a single source: no region needed.

    `state` is accepted for rules that need it; no shipped rule does yet.
    """
    country = _country(country_code)
    catalogue = load()
    if len(catalogue.by_country.get(country, ())) < 2 or not post_code:
        return None
    rule = catalogue.rules.get(country)
    if rule is None:
        return None
    if isinstance(rule, _GbPostcodeRule):
        return _gb_region(rule, post_code)
    return _numeric_region(rule, country, post_code)


def for_address(
    country_code: str, post_code: str | None, state: str | None = None
) -> MarketSource | None:
    """The source an address follows when the data makes it certain: the country's only one,
    or its region's where the post code settles the region; None otherwise."""
    return source_for(country_code, region_for(country_code, post_code, state))


def is_retail(source: MarketSource) -> bool:
    """True when the series is a retail import tariff's (so not an export price)."""
    return all(feed in RETAIL_FEEDS for feed in source.feeds)


def gsp_group(source: MarketSource) -> str | None:
    """The GSP group ("_A".."_P") of a GB regional source, or None for any other source."""
    rule = load().rules.get("GB")
    if source.country_code != "GB" or not isinstance(rule, _GbPostcodeRule):
        return None
    return next((g for g, region in rule.gsp_groups.items() if region == source.region), None)


def gsp_region(letter: str | None) -> str | None:
    """The GB region of a GSP group letter (`C` -> `London`), as suppliers' regional tariffs
    name it; None for anything else."""
    rule = load().rules.get("GB")
    if not letter or not isinstance(rule, _GbPostcodeRule):
        return None
    return rule.gsp_groups.get(f"_{letter}")


def gsp_letter(region: str | None) -> str | None:
    """The GSP group letter of a GB region (`London` -> `C`); None for anything else."""
    rule = load().rules.get("GB")
    if region is None or not isinstance(rule, _GbPostcodeRule):
        return None
    return next((g[1:] for g, name in rule.gsp_groups.items() if name == region), None)


def gb_outward_code(post_code: str) -> str | None:
    """The outward code of a UK post code (`SW1A` of `sw1a 1aa`), or None when the text is not
    a post code. An outward code alone (`SW1A`) is accepted too."""
    compact = re.sub(r"\s+", "", post_code).upper()
    full = _FULL_POSTCODE_RE.fullmatch(compact)
    if full is not None:
        return full.group(1)
    return compact if _OUTWARD_RE.fullmatch(compact) else None


def _area_of(outward: str) -> str:
    return outward[:2] if outward[1].isalpha() else outward[:1]


def _gb_region(rule: _GbPostcodeRule, post_code: str) -> str | None:
    outward = gb_outward_code(post_code)
    if outward is None:
        return None
    entry = rule.areas.get(_area_of(outward))
    if isinstance(entry, _SplitArea):
        # A sub-district (`N1C`, `W1A`) counts as its district (`N1`, `W1`) unless listed.
        if outward in entry.districts:
            group = entry.districts[outward]
        elif outward[-1].isalpha() and outward[:-1] in entry.districts:
            group = entry.districts[outward[:-1]]
        else:
            group = entry.default
    else:
        group = entry
    return rule.gsp_groups[group] if group is not None else None


def _numeric_region(rule: _NumericPrefixRule, country: str, post_code: str) -> str | None:
    compact = re.sub(r"\s+", "", post_code).upper()
    # Accept the country prefix often written before the number: `DK-2100`, `DK2100`.
    compact = re.sub(rf"^{country}-?", "", compact)
    if not re.fullmatch(rf"[0-9]{{{rule.digits}}}", compact):
        return None
    value = int(compact[: rule.prefix_digits])
    return next((r.region for r in rule.ranges if r.first <= value <= r.last), None)
