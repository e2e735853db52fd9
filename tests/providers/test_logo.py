"""The generated badge: initials, colour contrast and escaping."""

import xml.etree.ElementTree as ET

import pytest

from tariffconnect.providers import catalogue, logo
from tariffconnect.providers.schemas import Provider

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Octopus Energy", "OE"),
        ("Tibber", "TI"),
        ("EDF", "ED"),
        ("E.ON Next", "EN"),
        ("E.ON", "EO"),
        ("Octa+", "OC"),
        ("aWATTar", "AW"),
        ("Outfox the Market", "OM"),
        ("San Diego Gas & Electric", "SD"),
        ("Mint Énergie", "MÉ"),
        ("+ &", "?"),
    ],
)
def test_initials(name, expected):
    assert logo.initials(name) == expected


def hex_to_rgb(colour):
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def test_every_badge_meets_wcag_aa_with_white_text():
    for provider in catalogue.all_providers():
        colour = logo.background(provider.id)
        assert logo.contrast_with_white(hex_to_rgb(colour)) >= logo.MIN_CONTRAST, provider.slug


def test_the_colour_depends_only_on_the_id_and_varies():
    providers = catalogue.all_providers()
    assert logo.background(providers[0].id) == logo.background(providers[0].id)
    assert len({logo.background(p.id) for p in providers}) > 50


def test_a_hostile_name_stays_text():
    name = '<script>alert("x")</script> & Co'
    provider = Provider(
        id="prv_" + "b" * 24,
        slug="gb-hostile",
        display_name=name,
        country_code="GB",
        integration_type="MANUAL",
        website_url="https://example.com",
    )
    root = ET.fromstring(logo.render_svg(provider))
    assert root.find(f"{SVG}title").text == name
    assert root.find(f"{SVG}script") is None and root.find(f".//{SVG}script") is None
    assert root.find(f"{SVG}text").text == "SC"
