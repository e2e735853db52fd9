"""/tariffs: the matrix, exact shapes, replacement, location status and events."""

import re

import pytest
from sqlalchemy import select

from tariffconnect.events.models import Event
from tests.helpers import assert_error, assert_scoped
from tests.tariffs.support import flat, tariff_body, two_rate

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def location(client, tenant):
    body = {"postal_address": {"city": "London", "country_code": "GB"}}
    response = client.post("/locations", json=body, headers=tenant.test)
    assert response.status_code == 201
    return response.json()


def create(client, tenant, body):
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_the_exact_shape(client, tenant, location):
    body = tariff_body(
        location["id"],
        two_rate(0.085, 0.2755),
        display_name="Go",
        standing_charge={"value": 0.5274, "unit": "per_day"},
        contract_start_date="2026-01-01T00:00:00Z",
        contract_end_date="2027-01-01T00:00:00Z",
    )
    tariff = create(client, tenant, body)
    assert re.fullmatch(r"trf_[0-9a-f]{24}", tariff["id"])
    assert (
        TIME.fullmatch(tariff["time_created"]) and tariff["time_updated"] == tariff["time_created"]
    )
    assert tariff == {
        "id": tariff["id"],
        "object": "tariff",
        "live_mode": False,
        "location_id": location["id"],
        "tariff_direction": "IMPORT",
        "tariff_type": "COMMODITY",
        "connection_type": "MANUAL",
        "is_linked": False,
        "status": "CONNECTED",
        "display_name": "Go",
        "provider_id": None,
        "market_rates": False,
        "market_source_id": None,
        "timezone": "Europe/London",
        "contract_start_date": "2026-01-01T00:00:00Z",
        "contract_end_date": "2027-01-01T00:00:00Z",
        "schedule": tariff["schedule"],
        "standing_charge": {"value": 0.5274, "unit": "per_day"},
        "tier_period": "MONTH",
        "time_created": tariff["time_created"],
        "time_updated": tariff["time_updated"],
        "account_id": tenant.account_id,
    }
    rates = [h["rate"][0]["fixed"] for h in tariff["schedule"][0]["days_and_hours"][0]["hours"]]
    assert rates == [0.085, 0.2755]
    assert client.get(f"/tariffs/{tariff['id']}", headers=tenant.test).json() == tariff


def test_zero_release_spellings_are_accepted(client, tenant, location):
    body = {
        "location_id": location["id"],
        "schedule": flat(0.3),
        "direction": "EXPORT",
        "type": "COMMODITY",
    }
    assert create(client, tenant, body)["tariff_direction"] == "EXPORT"


def test_location_status_and_session_data_follow_the_connected_tariff(client, tenant, location):
    session = client.post(
        "/connect",
        json={
            "location_id": location["id"],
            "connect_url": "myapp://c",
            "callback_url": "myapp://d",
        },
        headers=tenant.test,
    ).json()
    assert session["data_available"] is False
    tariff = create(client, tenant, tariff_body(location["id"], flat(0.3)))
    status = client.get(f"/locations/{location['id']}", headers=tenant.test).json()
    assert status["tariff_status"]["commodity_import"] == "CONNECTED"
    assert status["tariff_status"]["commodity_export"] == "NOT_CONNECTED"
    assert [e["tariff_id"] for e in status["tariff_elements"]] == [tariff["id"]]
    assert (
        client.get(f"/connect/{session['id']}", headers=tenant.test).json()["data_available"]
        is True
    )
    client.delete(f"/tariffs/{tariff['id']}", headers=tenant.test)
    assert (
        client.get(f"/connect/{session['id']}", headers=tenant.test).json()["data_available"]
        is False
    )


def test_a_new_tariff_replaces_the_connected_one(client, tenant, database, location):
    old = create(client, tenant, tariff_body(location["id"], flat(0.3)))
    export = create(
        client, tenant, tariff_body(location["id"], flat(0.15), tariff_direction="EXPORT")
    )
    new = create(client, tenant, tariff_body(location["id"], flat(0.25)))
    assert client.get(f"/tariffs/{old['id']}", headers=tenant.test).json()["status"] == "REPLACED"
    assert (
        client.get(f"/tariffs/{export['id']}", headers=tenant.test).json()["status"] == "CONNECTED"
    )
    listed = client.get(
        "/tariffs", params={"location_id": location["id"]}, headers=tenant.test
    ).json()
    assert [t["id"] for t in listed["data"]] == [new["id"], export["id"], old["id"]]
    imports = client.get(
        "/tariffs",
        params={"location_id": location["id"], "tariff_direction": "IMPORT"},
        headers=tenant.test,
    ).json()
    assert [t["id"] for t in imports["data"]] == [new["id"], old["id"]]
    with database.transaction(write=False) as session:
        types = session.scalars(
            select(Event.type).where(Event.object_id == old["id"]).order_by(Event.id)
        ).all()
    assert types == ["tariff.create", "tariff.update"]


def test_matrix(client, tenant, other_tenant, location):
    tariff = create(client, tenant, tariff_body(location["id"], flat(0.3)))
    path = f"/tariffs/{tariff['id']}"
    code = "tariff_not_found"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code=code,
        context="api.tariff_retrieve",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PATCH",
        path,
        json={"display_name": "x"},
        not_found_code=code,
        context="api.tariff_update",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "DELETE",
        path,
        not_found_code=code,
        context="api.tariff_delete",
    )
    listing = client.get(
        "/tariffs", params={"location_id": location["id"]}, headers=other_tenant.test
    )
    assert_error(listing, 404, "location_not_found", context="api.tariff_list")
    foreign = client.post(
        "/tariffs", json=tariff_body(location["id"], flat(0.3)), headers=tenant.live
    )
    assert_error(foreign, 404, "location_not_found", context="api.tariff_create")
    assert_error(client.post("/tariffs", json={}), 401, "authentication_required")


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"tariff_direction": "SIDEWAYS"}, 400, "tariff_direction_invalid"),
        (
            {"tariff_type": "NON_COMMODITY", "tariff_direction": "EXPORT"},
            400,
            "tariff_type_not_supported",
        ),
        ({"provider_id": "prv_" + "0" * 24}, 404, "provider_not_found"),
        ({"market_rates": True}, 400, "market_source_id_missing"),
        (
            {
                "contract_start_date": "2026-01-02T00:00:00Z",
                "contract_end_date": "2026-01-01T00:00:00Z",
            },
            400,
            "contract_end_date_invalid",
        ),
        ({"schedule": []}, 400, "schedule_invalid"),
        ({"colour": "red"}, 400, "colour_unknown"),
    ],
)
def test_invalid_create_writes_nothing(client, tenant, location, extra, status, code):
    body = tariff_body(location["id"], flat(0.3)) | extra
    assert_error(client.post("/tariffs", json=body, headers=tenant.test), status, code)
    listed = client.get(
        "/tariffs", params={"location_id": location["id"]}, headers=tenant.test
    ).json()
    assert listed["data"] == []


def test_invalid_schedule_names_the_fault(client, tenant, location):
    gap = [
        {
            "months": ["All"],
            "days_and_hours": [
                {
                    "days": ["All"],
                    "hours": [
                        {
                            "valid_from": "00:00:00",
                            "valid_to": "07:00:00",
                            "rate": [{"fixed": 0.1}],
                        },
                        {
                            "valid_from": "08:00:00",
                            "valid_to": "00:00:00",
                            "rate": [{"fixed": 0.2}],
                        },
                    ],
                }
            ],
        }
    ]
    response = client.post("/tariffs", json=tariff_body(location["id"], gap), headers=tenant.test)
    body = assert_error(response, 400, "gap_in_time_period", context="api.tariff_create")
    assert "07:00:00" in body["message"] and "08:00:00" in body["message"]


def test_patch_schedule_and_name(client, tenant, database, location):
    tariff = create(client, tenant, tariff_body(location["id"], flat(0.3)))
    response = client.patch(
        f"/tariffs/{tariff['id']}",
        json={"display_name": "New", "schedule": flat(0.2)},
        headers=tenant.test,
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["display_name"] == "New"
    assert updated["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]["fixed"] == 0.2
    with database.transaction(write=False) as session:
        location_events = session.scalars(
            select(Event.type).where(Event.object_id == location["id"]).order_by(Event.id)
        ).all()
    assert location_events == ["location.create", "location.update", "location.update"]


def test_library_lists_published_tariffs_with_sources(client, tenant):
    response = client.get("/tariffs/library", params={"limit": 100}, headers=tenant.test)
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) == 8  # the shipped entries (Octopus's come from its sync)
    for entry in data:
        assert entry["source_url"].startswith("https://")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", entry["published_date"])
    eon_next = "prv_0b13f5f169c91474b34f8a1e"
    mine = client.get(
        "/tariffs/library", params={"provider_id": eon_next}, headers=tenant.test
    ).json()
    assert sorted((e["provider_id"], e["display_name"]) for e in mine["data"]) == [
        (eon_next, "E.ON Next Drive"),
        (eon_next, "E.ON Next Flex (Economy 7)"),
    ]
    assert_error(client.get("/tariffs/library"), 401, "authentication_required")
