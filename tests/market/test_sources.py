"""Market sources and regions: the shipped data, its validation and the address rules."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections import Counter
from importlib.resources import files
from typing import Any

import pytest

from tariffconnect.market import sources
from tariffconnect.market.sources import MarketDataError, MarketSource

RAW: dict[str, Any] = json.loads(
    files("tariffconnect.data").joinpath("market_sources.json").read_text(encoding="utf-8")
)

GB_REGIONS = [
    "Eastern England",
    "East Midlands",
    "London",
    "Merseyside and North Wales",
    "West Midlands",
    "North Eastern England",
    "North Western England",
    "Southern England",
    "South Eastern England",
    "Southern Wales",
    "South Western England",
    "Yorkshire",
    "Southern Scotland",
    "Northern Scotland",
]

# The 121 postcode areas of the United Kingdom (120 in Great Britain, plus BT).
UK_AREAS = (  # noqa: SIM905 (a list literal of 121 codes is unreadable)
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT "
    "DY E EC EH EN EX FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV KA KT KW KY L LA LD LE "
    "LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG "
    "SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO "
    "ZE"
).split()


def by_slug(slug: str) -> MarketSource:
    return sources.find(slug)


# --- the shipped data ---------------------------------------------------------------------


def test_ids_are_sha1_of_the_slug_unique_and_sorted() -> None:
    all_ = sources.all_sources()
    for source in all_:
        digest = hashlib.sha1(f"market_source:{source.slug}".encode()).hexdigest()
        assert source.id == "mrs_" + digest[:24]
        assert re.fullmatch(r"mrs_[0-9a-f]{24}", source.id)
    assert len({s.id for s in all_}) == len(all_) == 41
    assert [s.id for s in all_] == sorted(s.id for s in all_)
    assert by_slug("gb-london").id == sources.derive_id("gb-london")
    assert (
        by_slug("gb-london").id
        == "mrs_" + (hashlib.sha1(b"market_source:gb-london").hexdigest()[:24])
    )


def test_counts_per_country() -> None:
    counts = Counter(s.country_code for s in sources.all_sources())
    assert counts == {
        "GB": 14,
        "SE": 4,
        "NO": 5,
        "DK": 2,
        "IT": 7,
        "DE": 1,
        "LU": 1,
        "NL": 1,
        "BE": 1,
        "FR": 1,
        "ES": 1,
        "FI": 1,
        "AT": 1,
        "PL": 1,
    }


def test_required_bidding_zones_are_present() -> None:
    zones = {s.bidding_zone for s in sources.all_sources()}
    required = {"GB", "DE-LU", "NL", "BE", "FR", "ES", "IT-North", "FI", "DK1", "DK2"}
    required |= {f"SE{n}" for n in range(1, 5)} | {f"NO{n}" for n in range(1, 6)}
    assert required <= zones


def test_de_lu_is_offered_in_germany_and_luxembourg_as_two_sources() -> None:
    germany, luxembourg = by_slug("de-lu"), by_slug("lu-de-lu")
    assert (germany.country_code, luxembourg.country_code) == ("DE", "LU")
    assert germany.bidding_zone == luxembourg.bidding_zone == "DE-LU"
    assert germany.id != luxembourg.id
    assert sources.source_for("DE", None) == germany
    assert sources.source_for("LU", None) == luxembourg


def test_field_values_of_representative_sources() -> None:
    london = by_slug("gb-london")
    assert london.model_dump() == {
        "id": sources.derive_id("gb-london"),
        "object": "market_source",
        "slug": "gb-london",
        "display_name": "GB day-ahead, London region",
        "bidding_zone": "GB",
        "country_code": "GB",
        "region": "London",
        "currency_code": "GBP",
        "resolution_minutes": 30,
        "publisher": "EPEX SPOT",
        "feeds": ("OCTOPUS",),
    }
    assert by_slug("de-lu").feeds == ("ENERGY_CHARTS", "ENTSOE")
    assert by_slug("es").feeds == ("ENTSOE",)
    se3 = by_slug("se3")
    assert (se3.region, se3.currency_code, se3.resolution_minutes) == ("SE3 (Stockholm)", "SEK", 15)
    nord = by_slug("it-nord")
    assert (nord.bidding_zone, nord.region, nord.currency_code) == ("IT-North", "North", "EUR")
    assert {s.currency_code for s in sources.all_sources() if s.country_code == "NO"} == {"NOK"}
    assert {s.currency_code for s in sources.all_sources() if s.country_code == "DK"} == {"DKK"}
    assert by_slug("pl").currency_code == "PLN"


def test_resolution_is_30_for_gb_and_15_for_every_coupled_zone() -> None:
    for source in sources.all_sources():
        assert source.resolution_minutes == (30 if source.country_code == "GB" else 15)


def test_market_source_is_frozen_and_strict() -> None:
    london = by_slug("gb-london")
    with pytest.raises(ValueError, match="frozen"):
        london.region = "Yorkshire"  # type: ignore[misc]
    with pytest.raises(ValueError, match="extra"):
        MarketSource.model_validate({**london.model_dump(), "colour": "red"})


def test_get() -> None:
    london = by_slug("gb-london")
    assert sources.get(london.id) is london
    assert sources.get("mrs_" + "0" * 24) is None
    assert sources.get("gb-london") is None


# --- countries and regions ----------------------------------------------------------------


def test_has_market_is_case_insensitive() -> None:
    assert sources.has_market("GB")
    assert sources.has_market("gb")
    assert sources.has_market(" de ")
    assert sources.has_market("lu")
    assert not sources.has_market("US")
    assert not sources.has_market("")
    assert not sources.has_market("XX")


def test_regions_in_human_order() -> None:
    assert sources.regions("GB") == GB_REGIONS
    assert sources.regions("gb") == GB_REGIONS
    assert sources.regions("SE") == [
        "SE1 (Luleå)",
        "SE2 (Sundsvall)",
        "SE3 (Stockholm)",
        "SE4 (Malmö)",
    ]
    assert sources.regions("NO") == [
        "NO1 (Oslo)",
        "NO2 (Kristiansand)",
        "NO3 (Trondheim)",
        "NO4 (Tromsø)",
        "NO5 (Bergen)",
    ]
    assert sources.regions("dk") == ["DK1 (West Denmark)", "DK2 (East Denmark)"]
    assert sources.regions("IT") == [
        "North",
        "Centre-North",
        "Centre-South",
        "South",
        "Calabria",
        "Sicily",
        "Sardinia",
    ]


def test_regions_empty_for_single_source_and_unknown_countries() -> None:
    for country in ("DE", "LU", "NL", "BE", "FR", "ES", "FI", "AT", "PL", "US", "", "ZZ"):
        assert sources.regions(country) == []


def test_source_for_single_source_country_ignores_region() -> None:
    nl = by_slug("nl")
    assert sources.source_for("NL", None) == nl
    assert sources.source_for("nl", "Anything at all") == nl
    assert sources.source_for("FR", "London") == by_slug("fr")


def test_source_for_multi_region_country() -> None:
    assert sources.source_for("GB", "London") == by_slug("gb-london")
    assert sources.source_for("gb", "london") == by_slug("gb-london")
    assert sources.source_for("GB", "NORTH WESTERN ENGLAND") == by_slug("gb-north-western-england")
    assert sources.source_for("SE", "se3 (stockholm)") == by_slug("se3")
    assert sources.source_for("DK", "DK2 (East Denmark)") == by_slug("dk2")
    assert sources.source_for("IT", "Sicily") == by_slug("it-sici")
    assert sources.source_for("GB", None) is None
    assert sources.source_for("GB", "SE3 (Stockholm)") is None
    assert sources.source_for("GB", "Lond") is None


def test_source_for_unknown_country() -> None:
    assert sources.source_for("US", None) is None
    assert sources.source_for("US", "London") is None


def test_every_region_maps_to_its_own_source() -> None:
    for country in ("GB", "SE", "NO", "DK", "IT"):
        found = [sources.source_for(country, region) for region in sources.regions(country)]
        assert all(f is not None and f.country_code == country for f in found)
        assert len({f.id for f in found if f is not None}) == len(found)


# --- region_for: GB -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post_code", "region"),
    [
        ("SW1A 1AA", "London"),
        ("M1 1AE", "North Western England"),
        ("EH1 1YZ", "Southern Scotland"),
        ("AB10 1AA", "Northern Scotland"),
        ("CF10 1AA", "Southern Wales"),
        ("m1 1ae", "North Western England"),
        ("sw1a1aa", "London"),
        ("  SW1A   1AA ", "London"),
        ("SW1A", "London"),  # an outward code alone
        ("EC1A 1BB", "London"),
        ("N1C 4AG", "London"),  # sub-district of N1, listed as London in the split N area
        ("N17 0AP", "Eastern England"),  # N is split; N17 is in the Eastern area
        ("B1 1BB", "West Midlands"),  # B is split; its default
        ("B79 7AA", "East Midlands"),  # Tamworth
        ("LS1 4AP", "Yorkshire"),
        ("NE1 4ST", "North Eastern England"),
        ("BS1 4DJ", "South Western England"),
        ("SO14 0AA", "Southern England"),
        ("CT1 2AA", "South Eastern England"),
        ("NR1 1AA", "Eastern England"),
        ("NG1 5FS", "East Midlands"),
        ("LL57 2DG", "Merseyside and North Wales"),
        ("PA1 1AA", "Southern Scotland"),  # Paisley, in the split PA area
        ("PA34 4AA", None),  # Oban: the two sources disagree, so ask
        ("W3 6AA", "Southern England"),  # Acton, west London
        ("W2 1AA", "London"),
    ],
)
def test_region_for_gb_postcodes(post_code: str, region: str | None) -> None:
    assert sources.region_for("GB", post_code) == region
    assert sources.region_for("gb", post_code) == region


@pytest.mark.parametrize(
    "post_code",
    [
        "BT1 1AA",  # Northern Ireland: not in GB's market
        "JE2 3AB",  # Jersey
        "GY1 1AA",  # Guernsey
        "IM1 1AA",  # Isle of Man
        "",
        None,
        "12345",
        "GIR 0AA",
        "SW1A 1A",
        "SW1A 1AAA",
        "1AA SW1A",
        "ZZ1 1AA",  # not a postcode area
        "B95 5AA",  # Henley-in-Arden: district on a region boundary
        "DA1 1AA",  # Dartford: district on a region boundary
    ],
)
def test_region_for_gb_unknown_or_uncertain(post_code: str | None) -> None:
    assert sources.region_for("GB", post_code) is None


def test_gb_table_covers_every_uk_postcode_area() -> None:
    areas = RAW["region_rules"]["GB"]["areas"]
    assert set(UK_AREAS) <= set(areas)
    assert len(UK_AREAS) == 121
    assert set(areas) - set(UK_AREAS) == {"GY", "IM", "JE"}
    assert areas["BT"] is None
    uncertain = [a for a, v in areas.items() if isinstance(v, dict)]
    assert 40 <= len(uncertain) <= 50  # areas that straddle regions, decided by district


def test_every_gb_area_resolves_or_declines_for_a_sample_postcode() -> None:
    for area in UK_AREAS:
        found = sources.region_for("GB", f"{area}1 1AA")
        assert found is None or found in GB_REGIONS


def test_gb_outward_code() -> None:
    assert sources.gb_outward_code("sw1a 1aa") == "SW1A"
    assert sources.gb_outward_code("M11AE") == "M1"
    assert sources.gb_outward_code("M111AE") == "M11"
    assert sources.gb_outward_code("EC1A") == "EC1A"
    assert sources.gb_outward_code("SW1A-1AA") is None
    assert sources.gb_outward_code("") is None


# --- region_for: other countries ----------------------------------------------------------


@pytest.mark.parametrize(
    ("post_code", "region"),
    [
        ("1050", "DK2 (East Denmark)"),  # Copenhagen K
        ("2100", "DK2 (East Denmark)"),
        ("DK-2100", "DK2 (East Denmark)"),
        ("dk 2100", "DK2 (East Denmark)"),
        ("3000", "DK2 (East Denmark)"),  # Helsingør
        ("3700", "DK2 (East Denmark)"),  # Rønne, Bornholm
        ("4000", "DK2 (East Denmark)"),  # Roskilde
        ("4800", "DK2 (East Denmark)"),  # Nykøbing Falster
        ("4999", "DK2 (East Denmark)"),
        ("5000", "DK1 (West Denmark)"),  # Odense
        ("6700", "DK1 (West Denmark)"),  # Esbjerg
        ("8000", "DK1 (West Denmark)"),  # Aarhus
        ("9000", "DK1 (West Denmark)"),  # Aalborg
        ("3900", None),  # Nuuk: Greenland, not Denmark's grid
        ("0900", None),  # a non-geographic business code
        ("210", None),
        ("21000", None),
        ("DK-21O0", None),
        ("", None),
        (None, None),
    ],
)
def test_region_for_denmark(post_code: str | None, region: str | None) -> None:
    assert sources.region_for("DK", post_code) == region


@pytest.mark.parametrize(
    ("post_code", "region"),
    [
        ("00184", "Centre-South"),  # Rome
        ("06121", "Centre-South"),  # Perugia, Umbria
        ("20121", "North"),  # Milan
        ("40121", "North"),  # Bologna
        ("50122", "Centre-North"),  # Florence
        ("60121", "Centre-North"),  # Ancona
        ("65121", "Centre-South"),  # Pescara
        ("80133", "Centre-South"),  # Naples
        ("70121", "South"),  # Bari
        ("86100", "South"),  # Campobasso, Molise
        ("88100", "Calabria"),  # Catanzaro
        ("90133", "Sicily"),  # Palermo
        ("09124", "Sardinia"),  # Cagliari
        ("I-20121", None),
        ("2012", None),
        ("49100", None),  # no province uses 49
    ],
)
def test_region_for_italy(post_code: str, region: str | None) -> None:
    assert sources.region_for("IT", post_code) == region


def test_region_for_countries_without_a_rule_or_with_one_source() -> None:
    assert sources.region_for("SE", "11122") is None
    assert sources.region_for("NO", "0150") is None
    assert sources.region_for("DE", "10115") is None
    assert sources.region_for("NL", "1012 AB") is None
    assert sources.region_for("US", "78701", "TX") is None
    assert sources.region_for("", "2100") is None


# --- validation of the file ---------------------------------------------------------------


def mutated(change: Any) -> str:
    data = copy.deepcopy(RAW)
    change(data)
    return json.dumps(data)


def test_shipped_file_parses() -> None:
    catalogue = sources.parse(json.dumps(RAW))
    assert len(catalogue.ordered) == 41


def _set_id(data: dict[str, Any]) -> None:
    data["sources"][0]["id"] = "mrs_" + "0" * 24


def _duplicate(data: dict[str, Any]) -> None:
    data["sources"].append(data["sources"][0])


def _region_on_single(data: dict[str, Any]) -> None:
    next(s for s in data["sources"] if s["slug"] == "nl")["region"] = "Holland"


def _drop_region(data: dict[str, Any]) -> None:
    next(s for s in data["sources"] if s["slug"] == "se3")["region"] = None


def _same_region(data: dict[str, Any]) -> None:
    next(s for s in data["sources"] if s["slug"] == "se3")["region"] = "se4 (malmö)"


def _bad_area(data: dict[str, Any]) -> None:
    data["region_rules"]["GB"]["areas"]["SW"] = "_Z"


def _bad_district(data: dict[str, Any]) -> None:
    data["region_rules"]["GB"]["areas"]["B"]["districts"]["B77"] = "_Q"


def _foreign_district(data: dict[str, Any]) -> None:
    data["region_rules"]["GB"]["areas"]["B"]["districts"]["BA1"] = "_L"


def _bad_group(data: dict[str, Any]) -> None:
    data["region_rules"]["GB"]["gsp_groups"]["_C"] = "Greater London"


def _overlap(data: dict[str, Any]) -> None:
    data["region_rules"]["DK"]["ranges"][1]["first"] = 3500


def _unknown_range_region(data: dict[str, Any]) -> None:
    data["region_rules"]["IT"]["ranges"][0]["region"] = "Rome"


def _rule_for_single(data: dict[str, Any]) -> None:
    data["region_rules"]["NL"] = data["region_rules"]["DK"]


def _extra_field(data: dict[str, Any]) -> None:
    data["sources"][0]["colour"] = "red"


def _bad_resolution(data: dict[str, Any]) -> None:
    data["sources"][0]["resolution_minutes"] = 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_id, "not derived"),
        (_duplicate, "duplicate id or slug"),
        (_region_on_single, "NL has one source"),
        (_drop_region, "every source of SE needs a region"),
        (_same_region, "SE has a region twice"),
        (_bad_area, "GB SW -> unknown '_Z'"),
        (_bad_district, "GB B -> unknown '_Q'"),
        (_foreign_district, "district BA1 is not in B"),
        (_bad_group, "gsp_groups must name each region once"),
        (_overlap, "DK range 3500-4999"),
        (_unknown_range_region, "unknown 'Rome'"),
        (_rule_for_single, "region rule for NL"),
        (_extra_field, "is invalid"),
        (_bad_resolution, "is invalid"),
    ],
)
def test_validation_rejects_bad_data(change: Any, message: str) -> None:
    with pytest.raises(MarketDataError, match=re.escape(message)):
        sources.parse(mutated(change))


def test_validation_rejects_malformed_json() -> None:
    with pytest.raises(MarketDataError, match="is invalid"):
        sources.parse("{not json")


def test_find_takes_a_slug_or_an_id() -> None:
    germany = sources.find("de-lu")
    assert germany is not None and germany.bidding_zone == "DE-LU"
    assert sources.find(germany.id) == germany
    assert sources.find("atlantis") is None
    assert sources.find("DE-LU") is None  # slugs are lower case
