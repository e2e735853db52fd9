"""/providers: auth, filters, the shared pagination contract, retrieve and the logo."""

import hashlib
import xml.etree.ElementTree as ET

import pytest
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.providers import catalogue
from tests.helpers import assert_error

SVG = "{http://www.w3.org/2000/svg}"


def pid(slug):
    """The documented id rule (docs/providers-catalogue.md)."""
    return "prv_" + hashlib.sha1(f"provider:{slug}".encode()).hexdigest()[:24]


def ids_of(*slugs):
    return sorted((pid(s) for s in slugs), reverse=True)


GB = ids_of(
    "gb-british-gas", "gb-e-on-next", "gb-ecotricity", "gb-edf", "gb-good-energy",
    "gb-green-energy-uk", "gb-octopus-energy", "gb-outfox-the-market", "gb-ovo-energy",
    "gb-scottishpower", "gb-so-energy", "gb-utility-warehouse",
)  # fmt: skip
OCTOPUS = ids_of(
    "gb-octopus-energy", "de-octopus-energy", "es-octopus-energy", "fr-octopus-energy",
    "it-octopus-energy",
)  # fmt: skip
TEXAS = ids_of(
    "us-direct-energy", "us-gexa-energy", "us-green-mountain-energy", "us-reliant", "us-txu-energy"
)
CALIFORNIA = ids_of(
    "us-los-angeles-department-of-water-and-power", "us-pacific-gas-and-electric",
    "us-sacramento-municipal-utility-district", "us-san-diego-gas-and-electric",
    "us-southern-california-edison",
)  # fmt: skip
OCTOPUS_GB = pid("gb-octopus-energy")


@pytest.fixture
def bearer(tenant):
    return tenant.test


def listed(client, bearer, **params):
    response = client.get("/providers", params={"limit": 100} | params, headers=bearer)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_endpoint_but_the_logo_needs_a_token(client):
    assert_error(
        client.get("/providers"), 401, "authentication_required", context="api.provider_list"
    )
    response = client.get(f"/providers/{OCTOPUS_GB}")
    assert_error(response, 401, "authentication_required", context="api.provider_retrieve")
    assert client.get(f"/providers/{OCTOPUS_GB}/logo.svg").status_code == 200


def test_retrieve_answers_the_exact_object(client, bearer):
    response = client.get(f"/providers/{OCTOPUS_GB}", headers=bearer)
    assert response.status_code == 200
    assert response.json() == {
        "id": OCTOPUS_GB,
        "object": "provider",
        "display_name": "Octopus Energy",
        "country_code": "GB",
        "states": [],
        "integration_type": "DIRECT",
        "website_url": "https://octopus.energy",
        "logo_url": f"http://testserver/providers/{OCTOPUS_GB}/logo.svg",
    }


def test_both_modes_see_the_same_catalogue(client, tenant, other_tenant):
    answers = {
        client.get(f"/providers/{OCTOPUS_GB}", headers=h).text
        for h in (tenant.test, tenant.live, other_tenant.test)
    }
    assert len(answers) == 1


@pytest.mark.parametrize("provider_id", ["prv_" + "0" * 24, "octopus", "prv_%00"])
def test_unknown_ids_are_not_found(client, bearer, provider_id):
    response = client.get(f"/providers/{provider_id}", headers=bearer)
    assert_error(response, 404, "provider_not_found", context="api.provider_retrieve")


def test_logo_url_uses_the_public_base_url_when_set(settings, database, tenant):
    public = settings.model_copy(update={"public_base_url": "https://tc.example.com/api/"})
    with TestClient(create_app(public, database=database)) as other_client:
        body = other_client.get(f"/providers/{OCTOPUS_GB}", headers=tenant.test).json()
    assert body["logo_url"] == f"https://tc.example.com/api/providers/{OCTOPUS_GB}/logo.svg"


def test_the_first_page_is_30_by_id_descending(client, bearer):
    body = client.get("/providers", headers=bearer).json()
    everything = sorted((p.id for p in catalogue.all_providers()), reverse=True)
    assert len(everything) == 100
    assert body["object"] == "list" and body["url"] == "/providers" and body["has_more"] is True
    assert [p["id"] for p in body["data"]] == everything[:30]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country_code": "GB"}, GB),
        ({"country_code": "gb"}, GB),
        ({"keywords": "octopus"}, OCTOPUS),
        ({"keywords": "OCTOPUS ENERGY"}, OCTOPUS),
        ({"keywords": "octopus", "country_code": "GB"}, [OCTOPUS_GB]),
        ({"keywords": "bord gais"}, [pid("ie-bord-gais-energy")]),  # accents ignored
        ({"country_code": "US", "state": "TX"}, TEXAS),
        ({"country_code": "us", "state": "ca"}, CALIFORNIA),
        ({"country_code": "GB", "state": "ENG"}, GB),  # no states: the whole country
        ({"country_code": "US", "state": "WA"}, []),
        ({"country_code": "ZZ"}, []),
        ({"keywords": "no such supplier"}, []),
    ],
)
def test_filters(client, bearer, params, expected):
    body = listed(client, bearer, **params)
    assert [p["id"] for p in body["data"]] == expected
    assert body["has_more"] is False


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"state": "CA"}, "country_code_missing"),
        ({"country_code": "GBR"}, "country_code_invalid"),
        ({"country_code": "US", "state": "US-CA"}, "state_invalid"),
        ({"keywords": "x" * 101}, "keywords_invalid"),
        ({"limit": 0}, "limit_invalid"),
        ({"limit": 101}, "limit_invalid"),
        ({"starting_after": OCTOPUS_GB, "ending_before": OCTOPUS_GB}, "pagination_cursor_conflict"),
        ({"starting_after": "octopus"}, "starting_after_invalid"),
    ],
)
def test_invalid_list_parameters(client, bearer, params, code):
    response = client.get("/providers", params=params, headers=bearer)
    assert_error(response, 400, code, context="api.provider_list")


def walk(client, bearer, limit, **params):
    """Every page forward with starting_after, then back with ending_before."""
    pages, cursor = [], None
    while True:
        cursor_param = {"starting_after": cursor} if cursor else {}
        body = listed(client, bearer, limit=limit, **params, **cursor_param)
        pages.append([p["id"] for p in body["data"]])
        if not body["has_more"]:
            break
        cursor = pages[-1][-1]
    back = [pages[-1]]
    while True:
        body = listed(client, bearer, limit=limit, ending_before=back[0][0], **params)
        if not body["data"]:
            break
        back.insert(0, [p["id"] for p in body["data"]])
        if not body["has_more"]:
            break
    return pages, back


def test_a_walk_covers_all_100_exactly_once(client, bearer):
    pages, back = walk(client, bearer, 7)
    seen = [i for page in pages for i in page]
    assert seen == sorted({p.id for p in catalogue.all_providers()}, reverse=True)
    assert [len(p) for p in pages] == [7] * 14 + [2]
    assert back == pages


def test_a_filtered_walk_pages_the_filtered_list(client, bearer):
    pages, back = walk(client, bearer, 5, country_code="GB")
    assert [i for page in pages for i in page] == GB
    assert [len(p) for p in pages] == [5, 5, 2] and back == pages


def test_cursors_need_not_be_in_the_list(client, bearer):
    # As with database lists, a cursor is a position by id, not a member: a GB id pages NL.
    nl = [p["id"] for p in listed(client, bearer, country_code="NL")["data"]]
    after = listed(client, bearer, country_code="NL", starting_after=GB[5])
    assert [p["id"] for p in after["data"]] == [i for i in nl if i < GB[5]]
    before = listed(client, bearer, country_code="NL", ending_before=GB[5], limit=2)
    newer = [i for i in nl if i > GB[5]]
    assert [p["id"] for p in before["data"]] == newer[-2:]
    assert before["has_more"] is (len(newer) > 2)


def test_the_logo_is_a_public_cacheable_svg_badge(client):
    response = client.get(f"/providers/{OCTOPUS_GB}/logo.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=86400"
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Octopus Energy"
    assert root.find(f"{SVG}text").text == "OE"


def test_the_logo_title_is_escaped(client):
    provider_id = pid("us-san-diego-gas-and-electric")
    response = client.get(f"/providers/{provider_id}/logo.svg")
    assert '<title id="title">San Diego Gas &amp; Electric</title>' in response.text
    root = ET.fromstring(response.text)
    assert root.find(f"{SVG}title").text == "San Diego Gas & Electric"
    assert root.find(f"{SVG}text").text == "SD"


@pytest.mark.parametrize("provider_id", ["prv_" + "0" * 24, "nope"])
def test_the_logo_of_an_unknown_provider_is_not_found(client, provider_id):
    response = client.get(f"/providers/{provider_id}/logo.svg")
    assert_error(response, 404, "provider_not_found", context="api.provider_logo")


def test_openapi_marks_the_logo_public_and_the_rest_bearer(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/providers"]["get"]["security"] == [{"BearerAuth": []}]
    assert paths["/providers/{provider_id}"]["get"]["security"] == [{"BearerAuth": []}]
    logo = paths["/providers/{provider_id}/logo.svg"]["get"]
    assert "security" not in logo
    assert list(logo["responses"]["200"]["content"]) == ["image/svg+xml"]
    assert list(logo["responses"]["default"]["content"]) == ["application/json"]
