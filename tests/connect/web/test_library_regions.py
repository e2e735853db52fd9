"""Issue 13 item 3 on the hosted pages: where the post code does not settle the region of a
provider's regional tariffs, the tariff page asks for the region first, then lists its
tariffs."""

from __future__ import annotations

import pytest

from tests.connect.flow.flow import make_session
from tests.connect.flow.test_library_regions import ON_THE_EDGE
from tests.connect.web import Page, follow, press, show
from tests.integrations.octopus.library_support import octopus_library, synced_library

ASK = "This provider's prices differ between regions. Choose the one your home is in."


@pytest.fixture(autouse=True)
def octopus_synced(settings, database):
    with synced_library(settings, database):
        yield


def test_the_region_is_asked_first_then_its_tariffs_are_listed(client, tenant):
    token = make_session(client, tenant.test, ON_THE_EDGE)
    assert octopus_library(client, token)["route"] == "tariff_select"  # past the login
    page = show(client, token)
    assert (page.route, page.h1) == ("tariff_select", ["Choose your tariff"])
    assert ASK in page.html
    assert sorted(page.labels.values()) == ["Eastern England", "London"]
    # Continue without a choice: the same question again, the error linked to its radios.
    again = Page.of(press(client, page, "Continue"))
    assert (again.status, again.route) == (200, "tariff_select")
    assert sorted(again.labels.values()) == ["Eastern England", "London"]
    assert '<a href="#region-0">Choose your region.</a>' in again.html
    page = follow(client, press(client, page, "Continue", choose="Eastern England"))
    assert page.route == "tariff_select"
    assert ASK not in page.html
    assert list(page.labels.values()) == ["Flexible Octopus"]
    page = follow(client, press(client, page, "Continue", choose="Flexible Octopus"))
    assert page.route == "contract_term_capture"
