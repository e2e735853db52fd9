"""providers.json: the shipped data's invariants, and how the catalogue loads it."""

import hashlib
import json
import re
from collections import Counter
from importlib.resources import files

import pytest

from tariffconnect.providers import catalogue
from tariffconnect.providers.schemas import Provider

KEYS = {"id", "slug", "display_name", "country_code", "states", "integration_type", "website_url"}
# Only where true: the regulated and public US utilities (Connect asks them for no contract).
REGULATED_US = {
    "Central Hudson",
    "Con Edison",
    "Los Angeles Department of Water and Power",
    "National Grid",
    "NYSEG",
    "Pacific Gas and Electric Company",
    "PSEG Long Island",
    "Sacramento Municipal Utility District",
    "San Diego Gas & Electric",
    "Southern California Edison",
}


@pytest.fixture(scope="module")
def entries():
    return json.loads(files("tariffconnect.data").joinpath("providers.json").read_text("utf-8"))


def test_every_entry_has_exactly_the_documented_fields(entries):
    assert len(entries) == 100
    assert all(set(e) - {"regulated"} == KEYS for e in entries)
    regulated = {e["display_name"] for e in entries if "regulated" in e}
    assert regulated == REGULATED_US
    assert all(
        e["regulated"] is True and e["country_code"] == "US" for e in entries if "regulated" in e
    )


def test_ids_are_well_formed_unique_and_derived_from_the_slug(entries):
    ids = [e["id"] for e in entries]
    assert all(re.fullmatch(r"prv_[0-9a-f]{24}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert len({e["slug"] for e in entries}) == len(entries)
    for e in entries:
        derived = "prv_" + hashlib.sha1(f"provider:{e['slug']}".encode()).hexdigest()[:24]
        assert e["id"] == derived, e["slug"]
        assert e["slug"].startswith(e["country_code"].lower() + "-")


def test_the_file_is_sorted_by_country_then_name(entries):
    keys = [(e["country_code"], e["display_name"].casefold()) for e in entries]
    assert keys == sorted(keys)


def test_coverage(entries):
    per_country = Counter(e["country_code"] for e in entries)
    for country in ("GB", "DE", "ES", "NL"):
        assert per_country[country] >= 8, country
    for country in ("FR", "BE", "IE", "IT", "US"):
        assert per_country[country] >= 1, country
    us_states = Counter(s for e in entries if e["country_code"] == "US" for s in e["states"])
    assert {"CA", "TX", "NY"} <= set(us_states)
    # A US utility or retailer serves named states, never "the whole country".
    assert all(e["states"] for e in entries if e["country_code"] == "US")


def test_urls_are_https_homepages(entries):
    assert all(re.fullmatch(r"https://[a-z0-9.-]+(/[a-z]*)?", e["website_url"]) for e in entries)


def test_the_loaded_catalogue_indexes_every_entry(entries):
    assert len(catalogue.all_providers()) == len(entries)
    first = catalogue.get(entries[0]["id"])
    assert isinstance(first, Provider) and first.slug == entries[0]["slug"]
    assert catalogue.get("prv_" + "0" * 24) is None
    assert catalogue.load() is catalogue.load()  # read once


GOOD = {
    "id": "prv_" + "a" * 24,
    "slug": "gb-test",
    "display_name": "Test",
    "country_code": "GB",
    "states": [],
    "integration_type": "MANUAL",
    "website_url": "https://example.com",
}


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        json.dumps({"id": GOOD["id"]}),
        json.dumps([GOOD, GOOD]),
        json.dumps([GOOD | {"id": "prv_XYZ"}]),
        json.dumps([GOOD | {"country_code": "gb"}]),
        json.dumps([GOOD | {"integration_type": "API"}]),
        json.dumps([GOOD | {"website_url": "http://example.com"}]),
        json.dumps([GOOD | {"states": ["US-CA"]}]),
        json.dumps([GOOD | {"logo": "x.png"}]),
        json.dumps([{k: v for k, v in GOOD.items() if k != "slug"}]),
    ],
)
def test_a_malformed_file_fails_the_load(bad):
    with pytest.raises(catalogue.CatalogueError):
        catalogue.parse(bad)


def test_a_good_file_parses():
    parsed = catalogue.parse(json.dumps([GOOD]))
    assert list(parsed.by_id) == [GOOD["id"]] and parsed.ordered[0].display_name == "Test"
