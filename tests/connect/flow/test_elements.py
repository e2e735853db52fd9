"""Issue 14 item 2: the flow for each tariff element, through the JSON protocol. Export
(COMMODITY+EXPORT): fixed, day & night and market; grid fees (NON_COMMODITY+IMPORT): fixed
and day & night per kWh, priced added to the energy price. Whatever the flow creates is the
session's element, and replaces only the location's tariff of that element."""

from __future__ import annotations

import pytest

from tariffconnect.market import sources as market
from tests.connect.flow import flow
from tests.connect.flow.flow import error, make_session, plain_provider, start, submit
from tests.integrations.octopus.library_support import octopus_library, synced_library

EXPORT = {"tariff_direction": "EXPORT"}
GRID_FEES = {"tariff_type": "NON_COMMODITY"}
# A summer day in London (BST): every local hour is one price interval boundary away.
DAY = {"start_time": "2026-06-01T00:00:00+01:00", "end_time": "2026-06-02T00:00:00+01:00"}


def london(client, tenant):
    """A location at the flow helpers' London address, in the tenant's test mode."""
    return flow.make_location(client, tenant.test, flow.LONDON)


def to_structure(client, token, provider=None):
    page = start(client, token)
    assert page["route"] == "provider_select"
    provider = provider or plain_provider()
    return submit(client, token, "provider_select", data={"provider": {"id": provider}})


def name_and_connect(client, token, name):
    page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": name}})
    assert page["route"] == "contract_term_capture"
    page = submit(client, token, "contract_term_capture")
    assert page["route"] == "tariff_summary"
    return page


def connect_fixed(client, token, cost, name, *, at_structure=False):
    """The fixed-rate path from the provider page (or, `at_structure`, from the next)."""
    if not at_structure:
        assert to_structure(client, token)["route"] == "tariff_structure_select"
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": cost})
    return name_and_connect(client, token, name)


def connect_tod(client, token, day, night, name):
    to_structure(client, token)
    submit(client, token, "tariff_structure_select", data={"options": ["TIME_OF_DAY"]})
    hours = [
        {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": day},
        {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": night},
    ]
    submit(client, token, "rate_tod_capture", data={"hours": hours})
    return name_and_connect(client, token, name)


def tariffs_of(client, tenant, location_id):
    found = client.get("/tariffs", params={"location_id": location_id}, headers=tenant.test)
    return {t["display_name"]: t for t in found.json()["data"]}


def prices(client, tenant, location_id, **extra):
    body = {"location_id": location_id, **DAY, **extra}
    response = client.post("/prices", json=body, headers=tenant.test)
    assert response.status_code == 200, response.text
    return [(d["valid_from"][11:16], d["price"]["value"]) for d in response.json()["data"]]


def test_export_fixed_path_creates_an_export_tariff(client, tenant):
    location_id = london(client, tenant)
    token = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    page = to_structure(client, token)
    assert (page["route"], page["tariff_type"], page["direction"]) == (
        "tariff_structure_select",
        "COMMODITY",
        "EXPORT",
    )
    assert page["data"]["options"] == ["FIXED", "TIME_OF_DAY", "MARKET"]
    summary = connect_fixed(client, token, 0.15, "Feed-in", at_structure=True)
    assert summary["direction"] == "EXPORT"
    assert [e["tariff"] for e in summary["data"]["rates"]["today"]] == [
        {"confidence": 1.0, "cost": 0.15}
    ]
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
    tariff = tariffs_of(client, tenant, location_id)["Feed-in"]
    assert (tariff["tariff_type"], tariff["tariff_direction"]) == ("COMMODITY", "EXPORT")
    assert prices(client, tenant, location_id, tariff_direction="EXPORT") == [("00:00", 0.15)]


def test_export_refuses_a_negative_or_zero_fixed_rate(client, tenant):
    token = make_session(client, tenant.test, options=EXPORT)
    to_structure(client, token)
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    error(client, token, "rate_fixed_capture", 400, "cost_value_negative", data={"cost": -0.01})
    error(client, token, "rate_fixed_capture", 400, "cost_value_zero", data={"cost": 0})


def test_export_day_and_night_path(client, tenant):
    location_id = london(client, tenant)
    token = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    summary = connect_tod(client, token, 0.2, 0.05, "Export day and night")
    assert summary["data"]["tariff"]["structure_type"] == "TIME_OF_DAY"
    assert prices(client, tenant, location_id, tariff_direction="EXPORT") == [
        ("00:00", 0.05),
        ("07:00", 0.2),
        ("23:00", 0.05),
    ]


def test_market_export_allows_a_negative_fixed_surcharge(client, tenant):
    location_id = london(client, tenant)
    token = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    to_structure(client, token)
    page = submit(client, token, "tariff_structure_select", data={"options": ["MARKET"]})
    assert (page["route"], page["direction"]) == ("surcharge_capture", "EXPORT")
    surcharge = {"surcharge": {"fixed": -0.02, "percentage": 0}}
    submit(client, token, "surcharge_capture", data=surcharge)
    summary = name_and_connect(client, token, "Agile Outgoing")
    assert summary["data"]["market_rates_source"] is True
    tariff = tariffs_of(client, tenant, location_id)["Agile Outgoing"]
    assert (tariff["tariff_type"], tariff["tariff_direction"]) == ("COMMODITY", "EXPORT")
    assert tariff["market_source_id"] == market.source_for("GB", "London").id
    rate = tariff["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert (rate["surcharge_fixed"], rate["surcharge_percentage"]) == (-0.02, 0.0)


@pytest.mark.parametrize("options", [{}, {"tariff_direction": "IMPORT"}])
def test_market_import_refuses_a_negative_fixed_surcharge(client, tenant, options):
    token = make_session(client, tenant.test, options=options)
    to_structure(client, token)
    submit(client, token, "tariff_structure_select", data={"options": ["MARKET"]})
    surcharge = {"surcharge": {"fixed": -0.02, "percentage": 0}}
    error(client, token, "surcharge_capture", 400, "cost_value_negative", data=surcharge)


def test_grid_fees_offer_fixed_and_day_and_night_only(client, tenant):
    token = make_session(client, tenant.test, options=GRID_FEES)
    page = to_structure(client, token)
    assert (page["route"], page["tariff_type"], page["direction"]) == (
        "tariff_structure_select",
        "NON_COMMODITY",
        "IMPORT",
    )
    assert page["data"]["options"] == ["FIXED", "TIME_OF_DAY"]
    assert page["actions"] == ["FIXED", "TIME_OF_DAY", "BACK", "CLOSE"]
    route = "tariff_structure_select"
    error(client, token, route, 400, "options_invalid", data={"options": ["MARKET"]})
    error(client, token, route, 400, "action_invalid", action="MARKET")
    submit(client, token, route, data={"options": ["FIXED"]})
    error(client, token, "rate_fixed_capture", 400, "cost_value_negative", data={"cost": -0.05})


def test_grid_fees_are_priced_added_to_the_energy_price(client, tenant):
    location_id = london(client, tenant)
    energy = make_session(client, tenant.test, location_id=location_id)
    connect_fixed(client, energy, 0.25, "Energy")
    grid = make_session(client, tenant.test, location_id=location_id, options=GRID_FEES)
    summary = connect_tod(client, grid, 0.08, 0.03, "Network charges")
    # The grid-fee session's summary shows the grid fees alone, not the sum.
    assert [e["tariff"]["cost"] for e in summary["data"]["rates"]["today"]] == [0.03, 0.08, 0.03]
    session = client.get(f"/connect/{grid}", headers=tenant.test).json()
    assert (session["status"], session["data_available"]) == ("COMPLETED", True)
    tariffs = tariffs_of(client, tenant, location_id)
    assert {name: (t["tariff_type"], t["status"]) for name, t in tariffs.items()} == {
        "Energy": ("COMMODITY", "CONNECTED"),
        "Network charges": ("NON_COMMODITY", "CONNECTED"),
    }
    assert prices(client, tenant, location_id) == [
        ("00:00", 0.28),
        ("07:00", 0.33),
        ("23:00", 0.28),
    ]


def test_an_export_session_replaces_the_export_tariff_only(client, tenant):
    location_id = london(client, tenant)
    connect_fixed(client, make_session(client, tenant.test, location_id=location_id), 0.3, "Imp")
    first = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    connect_fixed(client, first, 0.1, "Old export")
    # A new export session for the same location: opens the export tariff's summary, edits it.
    second = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    page = start(client, second)
    assert (page["route"], page["data"]["tariff"]["name"]) == ("tariff_summary", "Old export")
    page = submit(client, second, "tariff_summary", action="EDIT")
    assert page["route"] == "provider_select"
    submit(client, second, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, second, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, second, "rate_fixed_capture", data={"cost": 0.12})
    name_and_connect(client, second, "New export")
    tariffs = tariffs_of(client, tenant, location_id)
    assert {name: (t["tariff_direction"], t["status"]) for name, t in tariffs.items()} == {
        "Imp": ("IMPORT", "CONNECTED"),
        "Old export": ("EXPORT", "REPLACED"),
        "New export": ("EXPORT", "CONNECTED"),
    }
    assert prices(client, tenant, location_id) == [("00:00", 0.3)]
    assert prices(client, tenant, location_id, tariff_direction="EXPORT") == [("00:00", 0.12)]


@pytest.fixture
def octopus_synced(settings, database):
    """Octopus's library as its sync writes it from the fixture API (library_support)."""
    with synced_library(settings, database):
        yield


def test_the_library_offers_each_element_its_own_tariffs(client, tenant, octopus_synced):
    def offered(options):
        token = make_session(client, tenant.test, options=options)
        page = octopus_library(client, token)
        if page["route"] != "tariff_select":
            return page["route"]
        return sorted(t["name"] for t in page["data"]["tariffs"])

    # The flow helpers' address is in London: London's entries of each direction.
    assert offered(EXPORT) == ["Outgoing"]
    assert offered({}) == ["Flexible Octopus", "Flexible Octopus (Economy 7)", "Octopus Go"]
    # No grid-fee entry in the library: the manual path, with Octopus still on the list.
    assert offered(GRID_FEES) == "tariff_structure_select"


def test_an_export_library_tariff_connects_as_export(client, tenant, octopus_synced):
    location_id = london(client, tenant)
    token = make_session(client, tenant.test, location_id=location_id, options=EXPORT)
    page = octopus_library(client, token)
    [chosen] = page["data"]["tariffs"]
    page = submit(client, token, "tariff_select", data={"tariff": {"id": chosen["id"]}})
    assert page["route"] == "contract_term_capture"
    submit(client, token, "contract_term_capture")
    tariff = tariffs_of(client, tenant, location_id)["Outgoing"]
    assert (tariff["tariff_direction"], tariff["connection_type"]) == ("EXPORT", "LIBRARY")
    assert prices(client, tenant, location_id, tariff_direction="EXPORT") == [("00:00", 0.15)]
