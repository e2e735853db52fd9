"""The optional standing charge of the manual rate pages (`data.standing_charge`, major units
per day): kept on the page, shown on the summary, carried by the tariff, reported by
`POST /prices` exactly as for a tariff made through the REST API."""

from __future__ import annotations

import pytest

from tests.connect.flow.flow import make_session, plain_provider, start, submit
from tests.tariffs.support import flat, tariff_body

DAY = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-02T00:00:00Z"}
TWO_PERIODS = [
    {"valid_from": "07:00:00", "valid_to": "23:00:00", "cost": 0.3},
    {"valid_from": "23:00:00", "valid_to": "07:00:00", "cost": 0.1},
]


def to_rates(client, tenant, structure):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    page = submit(client, token, "tariff_structure_select", data={"options": [structure]})
    return token, page


def connect(client, token, route, data):
    page = submit(client, token, route, data=data)
    assert page["route"] == "tariff_name_capture"
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Mine"}})
    summary = submit(client, token, "contract_term_capture")
    assert summary["route"] == "tariff_summary"
    return summary


def location_of(client, tenant, token):
    return client.get(f"/connect/{token}", headers=tenant.test).json()["location_id"]


def reported(client, tenant, location_id):
    """The standing charge `POST /prices` reports for the location's day, and the tariff's."""
    response = client.post(f"/prices/{location_id}", json=DAY, headers=tenant.test)
    assert response.status_code == 200, response.text
    tariffs = client.get("/tariffs", params={"location_id": location_id}, headers=tenant.test)
    [tariff] = tariffs.json()["data"]
    return response.json()["standing_charge"], tariff["standing_charge"]


def test_a_fixed_rate_with_a_standing_charge(client, tenant):
    token, page = to_rates(client, tenant, "FIXED")
    assert page["data"]["standing_charge"] is None
    page = submit(
        client, token, "rate_fixed_capture", data={"cost": 0.2455, "standing_charge": 0.5274}
    )
    assert page["route"] == "tariff_name_capture"
    # Back on the rate page, the charge entered is shown again, as a number like `cost`.
    page = submit(client, token, "tariff_name_capture", action="BACK")
    assert page["route"] == "rate_fixed_capture"
    assert (page["data"]["cost"], page["data"]["standing_charge"]) == (0.2455, 0.5274)
    summary = connect(
        client, token, "rate_fixed_capture", {"cost": 0.2455, "standing_charge": 0.5274}
    )
    assert summary["data"]["tariff"]["standing_charge"] == {"value": 0.5274, "unit": "per_day"}
    assert reported(client, tenant, location_of(client, tenant, token)) == (
        {"value": 0.5274, "unit": "per_day"},
        {"value": 0.5274, "unit": "per_day"},
    )


def test_reported_exactly_as_for_a_tariff_made_through_the_api(client, tenant):
    token, _ = to_rates(client, tenant, "FIXED")
    connect(client, token, "rate_fixed_capture", {"cost": 0.2455, "standing_charge": 0.5274})
    other = make_session(client, tenant.test)
    rest_location = location_of(client, tenant, other)
    charge = {"value": 0.5274, "unit": "per_day"}
    body = tariff_body(rest_location, flat(0.2455), standing_charge=charge)
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    from_flow = reported(client, tenant, location_of(client, tenant, token))
    assert from_flow == reported(client, tenant, rest_location)


def test_a_day_and_night_tariff_with_a_standing_charge_in_text(client, tenant):
    token, page = to_rates(client, tenant, "TIME_OF_DAY")
    assert page["data"]["standing_charge"] is None
    summary = connect(
        client, token, "rate_tod_capture", {"hours": TWO_PERIODS, "standing_charge": "0,41"}
    )
    assert summary["data"]["tariff"]["standing_charge"] == {"value": 0.41, "unit": "per_day"}
    assert reported(client, tenant, location_of(client, tenant, token)) == (
        {"value": 0.41, "unit": "per_day"},
        {"value": 0.41, "unit": "per_day"},
    )


@pytest.mark.parametrize("given", [{}, {"standing_charge": None}, {"standing_charge": ""}])
def test_no_standing_charge_as_the_reference_front_end_sends(client, tenant, given):
    token, _ = to_rates(client, tenant, "FIXED")
    summary = connect(client, token, "rate_fixed_capture", {"cost": 0.2, **given})
    assert summary["data"]["tariff"]["standing_charge"] is None
    assert reported(client, tenant, location_of(client, tenant, token)) == (None, None)


def test_a_standing_charge_of_zero_is_kept(client, tenant):
    token, _ = to_rates(client, tenant, "FIXED")
    connect(client, token, "rate_fixed_capture", {"cost": 0.2, "standing_charge": 0})
    assert reported(client, tenant, location_of(client, tenant, token)) == (
        {"value": 0.0, "unit": "per_day"},
        {"value": 0.0, "unit": "per_day"},
    )


BAD_CHARGES = [
    (-0.01, "standing_charge_value_negative", "A standing charge cannot be negative."),
    ("abc", "standing_charge_invalid", "standing_charge must be a number."),
    (True, "standing_charge_invalid", "standing_charge must be a number."),
    ({"value": 0.5}, "standing_charge_invalid", "standing_charge must be a number."),
    ("Infinity", "standing_charge_invalid", "standing_charge must be a number."),
    (0.123456, "standing_charge_invalid", "standing_charge may have at most 5 decimals."),
    (1000, "standing_charge_invalid", "A standing charge must be below 1000 per day."),
    (1e12, "standing_charge_invalid", "A standing charge must be below 1000 per day."),
    # Exponents that would overflow, or round to zero, once normalized.
    ("1e999999999", "standing_charge_invalid", "standing_charge must be a number below 1e16."),
    ("1e-999999999", "standing_charge_invalid", "standing_charge may have at most 5 decimals."),
]


@pytest.mark.parametrize(("charge", "code", "message"), BAD_CHARGES)
@pytest.mark.parametrize(
    ("structure", "route", "data"),
    [
        ("FIXED", "rate_fixed_capture", {"cost": 0.2}),
        ("TIME_OF_DAY", "rate_tod_capture", {"hours": TWO_PERIODS}),
    ],
)
def test_a_bad_standing_charge_is_refused_and_changes_nothing(
    client, tenant, structure, route, data, charge, code, message
):
    token, before = to_rates(client, tenant, structure)
    response = submit(client, token, route, data={**data, "standing_charge": charge}, status=400)
    assert (response["code"], response["message"]) == (code, message)
    assert response["errors"] == [{"code": code, "message": message, "field": "standing_charge"}]
    assert response["context"] == f"connect.{route}"
    after = start(client, token)
    assert (after["route"], after["data"]) == (route, before["data"])


def test_an_export_tariff_has_no_standing_charge(client, tenant):
    token = make_session(client, tenant.test, options={"tariff_direction": "EXPORT"})
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    data = {"cost": 0.05, "standing_charge": 0.5}
    response = submit(client, token, "rate_fixed_capture", data=data, status=400)
    message = "An export tariff has no standing charge."
    assert (response["code"], response["message"]) == ("standing_charge_not_supported", message)
    assert start(client, token)["route"] == "rate_fixed_capture"
    # Without one, the export rate is taken.
    page = submit(client, token, "rate_fixed_capture", data={"cost": 0.05})
    assert page["route"] == "tariff_name_capture"


def test_a_charge_left_on_the_rate_page_is_not_another_structures(client, tenant):
    token = make_session(
        client, tenant.test, options={"route_options": {"advanced_tariff_capture": True}}
    )
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2, "standing_charge": 0.5})
    submit(client, token, "tariff_name_capture", action="BACK")
    page = submit(client, token, "rate_fixed_capture", action="BACK")
    assert page["route"] == "tariff_structure_select"
    page = submit(client, token, "tariff_structure_select", data={"options": ["ADVANCED"]})
    assert page["route"] == "advanced_tariff_capture"
    hours = [{"valid_from": "00:00", "valid_to": "00:00", "rate": [{"fixed": 0.25}]}]
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}]
    summary = connect(client, token, "advanced_tariff_capture", {"schedule": schedule})
    assert summary["data"]["tariff"]["standing_charge"] is None
    assert reported(client, tenant, location_of(client, tenant, token)) == (None, None)
