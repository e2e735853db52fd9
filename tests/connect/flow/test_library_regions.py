"""Issue 13 item 3: Octopus's synced library entries are regional (a GSP group each). The
customer's region comes from their post code; where it does not settle the region, every
region's entries are listed with its name until the customer names theirs."""

from __future__ import annotations

import pytest

from tests.connect.flow.flow import LONDON, error, make_location, make_session, submit
from tests.connect.flow.test_elements import prices, tariffs_of
from tests.integrations.octopus.library_support import octopus_library, synced_library

# N19 is split between the London and Eastern England GSP groups (market_sources.json).
ON_THE_EDGE = {**LONDON, "address_line1": "1 Junction Road", "post_code": "N19 5AA"}
REGIONS = ["Eastern England", "London"]  # those the fixture's entries are for, in GB's order


@pytest.fixture(autouse=True)
def octopus_synced(settings, database):
    with synced_library(settings, database):
        yield


def listed(page):
    assert page["route"] == "tariff_select"
    return sorted(t["name"] for t in page["data"]["tariffs"])


def test_a_london_post_code_lists_london_entries_only(client, tenant):
    page = octopus_library(client, make_session(client, tenant.test, LONDON))
    assert listed(page) == ["Flexible Octopus", "Flexible Octopus (Economy 7)", "Octopus Go"]
    assert (page["data"]["regions"], page["data"]["region"]) == (REGIONS, "London")


def test_an_uncertain_post_code_lists_every_region_until_one_is_chosen(client, tenant):
    location_id = make_location(client, tenant.test, ON_THE_EDGE)
    token = make_session(client, tenant.test, location_id=location_id)
    page = octopus_library(client, token)
    assert listed(page) == [
        "Flexible Octopus (Eastern England)",
        "Flexible Octopus (Economy 7) (London)",
        "Flexible Octopus (London)",
        "Octopus Go (London)",
    ]
    assert (page["data"]["regions"], page["data"]["region"]) == (REGIONS, None)
    for wrong in ("Southern Wales", "london", 3):  # not one of the entries' regions
        error(client, token, "tariff_select", 400, "library_region_invalid", data={"region": wrong})
    page = submit(client, token, "tariff_select", data={"region": "Eastern England"})
    assert listed(page) == ["Flexible Octopus"]
    assert page["data"]["region"] == "Eastern England"
    [flexible] = page["data"]["tariffs"]
    page = submit(client, token, "tariff_select", data={"tariff": {"id": flexible["id"]}})
    assert page["route"] == "contract_term_capture"
    assert submit(client, token, "contract_term_capture")["route"] == "tariff_summary"
    tariff = tariffs_of(client, tenant, location_id)["Flexible Octopus"]
    assert tariff["connection_type"] == "LIBRARY"
    # Eastern England's direct-debit rate, 24.5175 p inc. VAT, in pounds to the five decimals
    # rates keep: not London's 24.86 p.
    assert prices(client, tenant, location_id) == [("00:00", 0.24518)]


def test_another_region_s_entry_is_refused_once_the_region_is_known(client, tenant):
    token = make_session(client, tenant.test, LONDON)
    page = octopus_library(client, token)
    london_ids = {t["id"] for t in page["data"]["tariffs"]}
    page = submit(client, token, "tariff_select", data={"region": "Eastern England"})
    [eastern] = page["data"]["tariffs"]
    assert eastern["id"] not in london_ids
    submit(client, token, "tariff_select", data={"region": "London"})
    error(
        client,
        token,
        "tariff_select",
        400,
        "tariff_id_invalid",
        data={"tariff": {"id": eastern["id"]}},
    )


def test_export_lists_the_region_s_outgoing(client, tenant):
    options = {"tariff_direction": "EXPORT"}
    page = octopus_library(client, make_session(client, tenant.test, LONDON, options=options))
    assert listed(page) == ["Outgoing"]
    # Outgoing is London's only: no other region to choose from.
    assert (page["data"]["regions"], page["data"]["region"]) == (["London"], "London")
