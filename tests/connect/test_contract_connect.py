"""What /openapi.json says of Connect sessions' and tokens' fields (issue 18, defect 7)."""

from __future__ import annotations

import re

import pytest

from tariffconnect.core.urls import REDIRECT_URL_PATTERN, UrlError, validate_redirect_url
from tests.contract_schema import component, documented_codes

ACCEPTED = [
    "myapp://nova/flatpeak/complete",
    "https://app.example.com/done?x=1#top",
    "HTTPS://APP.EXAMPLE.COM",
    "http://localhost:8000/cb",
    "http://127.0.0.1/cb",
    "com.example.app://cb",
]
# Before, each was valid by the schema (any string) and refused by the API.
REFUSED = [
    "",
    "0000",
    "/connect",
    "http://example.com/cb",
    "javascript://alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,x",
    "file:///etc/passwd",
    "https://user@example.com/",
    "https://example.com/a b",
    "https://example.com\\@evil.com",
    "myapp://",
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted_urls_match_the_pattern(url):
    assert re.search(REDIRECT_URL_PATTERN, url)
    assert validate_redirect_url(url) == url


@pytest.mark.parametrize("url", REFUSED)
def test_refused_urls_do_not_match_the_pattern(url):
    assert not re.search(REDIRECT_URL_PATTERN, url)
    with pytest.raises(UrlError):
        validate_redirect_url(url)


def test_the_session_schema_carries_the_pattern(client):
    create = component(client, "ConnectSessionCreate")
    body = {"location_id": "loc_641b90b758fb8e6293716e40", "callback_url": ACCEPTED[0]}
    assert create.is_valid({**body, "connect_url": ACCEPTED[1]})
    assert not create.is_valid({**body, "connect_url": "http://example.com/cb"})


def test_token_rules_between_fields_are_documented(client):
    for path in ("/connect/token", "/connect/tariff/token", "/connect/sessions"):
        codes = documented_codes(client, "post", path)
        assert {"location_id_conflict", "tariff_direction_not_supported"} <= set(codes), path


def test_a_token_prefill_address_may_be_partial(client):
    # The location's address requires city and country_code; a prefill leaves them to Connect.
    assert component(client, "PostalAddressPrefill").is_valid({"post_code": "SW1A 1AA"})
    assert not component(client, "PostalAddressIn").is_valid({"post_code": "SW1A 1AA"})
