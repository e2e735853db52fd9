"""/devices: the matrix, exact shapes, location links, events and a rejected request's no-op."""

import re

import pytest
from sqlalchemy import func, select

from tariffconnect.devices.models import Device, device_locations
from tariffconnect.events.models import Event
from tariffconnect.locations.models import Location
from tests.factories import make_location
from tests.helpers import assert_error, assert_scoped, statements

ID = re.compile(r"dev_[0-9a-f]{24}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CHARGER = {"reference_id": "charger-1", "type": "EV_CHARGER"}


def create(client, tenant, **body):
    response = client.post("/devices", json=CHARGER | body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def events_of(database, object_id):
    with database.transaction(write=False) as session:
        rows = session.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.id))
        return [(e.type, e.data) for e in rows]


def links_of(database, device_id):
    with database.transaction(write=False) as session:
        query = select(device_locations.c.location_id).where(
            device_locations.c.device_id == device_id
        )
        return sorted(session.scalars(query))


def written_for(database, account_id):
    """(devices, events) rows the account has: a rejected request must leave both at 0."""
    with database.transaction(write=False) as session:
        devices = session.scalar(
            select(func.count()).select_from(Device).where(Device.account_id == account_id)
        )
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.account_id == account_id)
        )
    return devices, events


def test_create_returns_the_exact_shape_and_records_it(client, tenant, database):
    second, first = (
        make_location(database, tenant.account_id),
        make_location(database, tenant.account_id),
    )
    properties = {"power_rating_import_kwh": 7.4, "install_date": "2024-03-01", "phases": 3}
    body = create(
        client,
        tenant,
        type="BATTERY_SYSTEM",
        locations=[first, second, first],  # repeats collapse; the answer lists ids sorted
        manufacturer="Tesla",
        model_code="PW3",
        model_name="Powerwall 3",
        properties=properties,
    )
    assert ID.fullmatch(body["id"]) and TIME.fullmatch(body["time_created"])
    assert body == {
        "id": body["id"],
        "object": "device",
        "live_mode": False,
        "reference_id": "charger-1",
        "type": "BATTERY_SYSTEM",
        "locations": sorted([first, second]),
        "manufacturer": "Tesla",
        "model_code": "PW3",
        "model_name": "Powerwall 3",
        "properties": properties,
        "time_created": body["time_created"],
        "account_id": tenant.account_id,
    }
    assert events_of(database, body["id"]) == [("device.create", body)]
    assert links_of(database, body["id"]) == sorted([first, second])
    assert client.get(f"/devices/{body['id']}", headers=tenant.test).json() == body


def test_optional_fields_default_to_empty(client, tenant):
    response = client.post("/devices", json=CHARGER, headers=tenant.live)
    assert response.status_code == 201
    body = response.json()
    assert body["live_mode"] is True
    assert body["locations"] == [] and body["properties"] == {}
    assert body["manufacturer"] is body["model_code"] is body["model_name"] is None


@pytest.mark.parametrize(
    "device_type", ["EV_CHARGER", "ELECTRIC_VEHICLE", "PV_SYSTEM", "HEAT_PUMP", "OTHER"]
)
def test_every_type_is_accepted(client, tenant, device_type):
    assert create(client, tenant, type=device_type)["type"] == device_type


def nested(depth):
    """`depth` levels of objects, `properties` itself the first: nested(2) == {"k": {"k": 1}}."""
    value = 1
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (CHARGER | {"type": "TOASTER"}, "type_invalid"),
        (CHARGER | {"type": "ev_charger"}, "type_invalid"),
        ({"type": "EV_CHARGER"}, "reference_id_missing"),
        ({"reference_id": "x"}, "type_missing"),
        (CHARGER | {"reference_id": ""}, "reference_id_invalid"),
        (CHARGER | {"reference_id": "x" * 256}, "reference_id_invalid"),
        (CHARGER | {"reference_id": 5}, "reference_id_invalid"),
        (CHARGER | {"flex_enabled": True}, "flex_enabled_unknown"),
        (CHARGER | {"model_name": "x" * 256}, "model_name_invalid"),
        (CHARGER | {"manufacturer": "a\x00b"}, "manufacturer_invalid"),
        (CHARGER | {"locations": "loc_0192f4d1a2b3c4d5e6f7a8b9"}, "locations_invalid"),
        (CHARGER | {"locations": ["not-an-id"]}, "locations_invalid"),
        (CHARGER | {"properties": ["a"]}, "properties_invalid"),
        (CHARGER | {"properties": nested(4)}, "properties_invalid"),
        (CHARGER | {"properties": {f"k{i}": i for i in range(51)}}, "properties_invalid"),
        (CHARGER | {"properties": {"notes": "x" * 20_000}}, "properties_invalid"),
        (CHARGER | {"properties": {"": 1}}, "properties_invalid"),
        (CHARGER | {"properties": {"a": "\x00"}}, "properties_invalid"),
        ([CHARGER], "data_json_invalid"),
    ],
)
def test_invalid_create_writes_nothing(client, tenant, database, body, code):
    response = client.post("/devices", json=body, headers=tenant.test)
    assert_error(response, 400, code, context="api.device_create")
    assert written_for(database, tenant.account_id) == (0, 0)


def test_non_finite_numbers_are_refused(client, tenant, database):
    # Python's JSON parser takes NaN; it must not reach the JSON column or a client.
    raw = '{"reference_id": "x", "type": "OTHER", "properties": {"capacity_kwh": NaN}}'
    headers = tenant.test | {"content-type": "application/json"}
    response = client.post("/devices", content=raw, headers=headers)
    assert_error(response, 400, "properties_invalid", context="api.device_create")
    assert written_for(database, tenant.account_id) == (0, 0)


def test_nesting_up_to_three_levels_is_kept(client, tenant):
    properties = {"battery": {"cells": [1, 2]}, "ok": None, "flag": True}
    assert create(client, tenant, properties=properties)["properties"] == properties
    assert create(client, tenant, properties=nested(3))["properties"] == nested(3)


def test_a_location_of_another_account_or_mode_is_not_found(client, tenant, other_tenant, database):
    mine = make_location(database, tenant.account_id)
    for foreign in (
        make_location(database, other_tenant.account_id),
        make_location(database, tenant.account_id, live=True),
        "loc_0192f4d1a2b3c4d5e6f7a8b9",
    ):
        response = client.post(
            "/devices", json=CHARGER | {"locations": [mine, foreign]}, headers=tenant.test
        )
        body = assert_error(response, 404, "location_not_found", context="api.device_create")
        assert foreign in body["message"]
    assert written_for(database, tenant.account_id) == (0, 0)


def test_matrix_for_retrieve_update_delete(client, tenant, other_tenant):
    device = create(client, tenant)
    path = f"/devices/{device['id']}"
    code = "device_not_found"
    for method, context, json in (
        ("GET", "api.device_retrieve", None),
        ("PATCH", "api.device_update", {"reference_id": "x"}),
        ("DELETE", "api.device_delete", None),
    ):
        assert_scoped(
            client,
            tenant,
            other_tenant,
            method,
            path,
            json=json,
            not_found_code=code,
            context=context,
        )
    assert client.get(path, headers=tenant.test).json() == device  # nothing above changed it


@pytest.mark.parametrize("device_id", ["dev_0192f4d1a2b3c4d5e6f7a8b9", "nope", "dev_%00"])
def test_unknown_or_malformed_ids_are_not_found(client, tenant, device_id):
    response = client.get(f"/devices/{device_id}", headers=tenant.test)
    assert_error(response, 404, "device_not_found", context="api.device_retrieve")


def test_create_and_list_need_a_token_and_stay_in_scope(client, tenant, other_tenant, database):
    assert_error(
        client.post("/devices", json=CHARGER),
        401,
        "authentication_required",
        context="api.device_create",
    )
    assert_error(client.get("/devices"), 401, "authentication_required", context="api.device_list")
    assert written_for(database, tenant.account_id) == (0, 0)
    mine = create(client, tenant)
    assert client.get("/devices", headers=other_tenant.test).json()["data"] == []
    assert client.get("/devices", headers=tenant.live).json()["data"] == []
    listed = client.get("/devices", headers=tenant.test).json()
    assert listed == {"object": "list", "url": "/devices", "has_more": False, "data": [mine]}


def test_list_filters_by_reference_id_and_pages_newest_first(client, tenant):
    made = [create(client, tenant, reference_id=ref) for ref in ("a", "b", "a", "a")]
    params = {"reference_id": "a", "limit": 2}
    first = client.get("/devices", params=params, headers=tenant.test).json()
    assert first["data"] == [made[3], made[2]] and first["has_more"] is True
    params["starting_after"] = made[2]["id"]
    second = client.get("/devices", params=params, headers=tenant.test).json()
    assert second["data"] == [made[0]] and second["has_more"] is False
    nul = client.get("/devices", params={"reference_id": "a\x00"}, headers=tenant.test)
    assert nul.status_code == 200 and nul.json()["data"] == []


def test_list_loads_locations_in_one_query(client, tenant, database):
    """The statements a list runs do not grow with the number of devices (no N+1)."""

    def statements_for_list():
        with statements(database.engine) as seen:
            response = client.get("/devices", headers=tenant.test)
        assert response.status_code == 200
        return len(seen), response.json()["data"]

    location = make_location(database, tenant.account_id)
    create(client, tenant, locations=[location])
    one, _ = statements_for_list()
    for _ in range(4):
        create(client, tenant, locations=[location, make_location(database, tenant.account_id)])
    five, data = statements_for_list()
    assert len(data) == 5 and all(location in d["locations"] for d in data)
    assert five == one


def test_patch_changes_only_given_fields(client, tenant, database):
    device = create(client, tenant, manufacturer="Zappi", properties={"capacity_kwh": 10})
    path = f"/devices/{device['id']}"
    assert client.patch(path, json={}, headers=tenant.test).json() == device
    response = client.patch(
        path, json={"model_name": "Zappi 2", "manufacturer": None}, headers=tenant.test
    )
    assert response.status_code == 200
    assert response.json() == device | {"model_name": "Zappi 2", "manufacturer": None}
    replaced = client.patch(path, json={"properties": {"pv_tilt": 30}}, headers=tenant.test)
    assert replaced.json()["properties"] == {"pv_tilt": 30}
    types = [t for t, _ in events_of(database, device["id"])]
    assert types == ["device.create"] + ["device.update"] * 3
    assert events_of(database, device["id"])[-1][1] == replaced.json()


def test_patch_replaces_the_locations(client, tenant, database):
    a, b, c = (make_location(database, tenant.account_id) for _ in range(3))
    device = create(client, tenant, locations=[a, b])
    path = f"/devices/{device['id']}"
    response = client.patch(path, json={"locations": [c, b, c]}, headers=tenant.test)
    assert response.json() == device | {"locations": sorted([b, c])}
    assert links_of(database, device["id"]) == sorted([b, c])
    cleared = client.patch(path, json={"locations": []}, headers=tenant.test)
    assert cleared.json()["locations"] == [] and links_of(database, device["id"]) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"reference_id": None}, "reference_id_invalid"),
        ({"type": None}, "type_invalid"),
        ({"type": "FRIDGE"}, "type_invalid"),
        ({"locations": None}, "locations_invalid"),
        ({"properties": None}, "properties_invalid"),
        ({"id": "dev_0192f4d1a2b3c4d5e6f7a8b9"}, "id_unknown"),
    ],
)
def test_invalid_patch_changes_nothing(client, tenant, database, body, code):
    location = make_location(database, tenant.account_id)
    device = create(client, tenant, locations=[location])
    path = f"/devices/{device['id']}"
    assert_error(
        client.patch(path, json=body, headers=tenant.test), 400, code, context="api.device_update"
    )
    assert client.get(path, headers=tenant.test).json() == device
    assert [t for t, _ in events_of(database, device["id"])] == ["device.create"]


def test_patch_with_a_foreign_location_changes_nothing(client, tenant, other_tenant, database):
    mine = make_location(database, tenant.account_id)
    device = create(client, tenant, locations=[mine])
    path = f"/devices/{device['id']}"
    foreign = make_location(database, other_tenant.account_id)
    body = {"locations": [foreign], "model_name": "changed"}
    response = client.patch(path, json=body, headers=tenant.test)
    assert_error(response, 404, "location_not_found", context="api.device_update")
    assert client.get(path, headers=tenant.test).json() == device
    assert links_of(database, device["id"]) == [mine]
    assert [t for t, _ in events_of(database, device["id"])] == ["device.create"]


def test_delete_answers_202_then_404_and_removes_the_links(client, tenant, database):
    location = make_location(database, tenant.account_id)
    device = create(client, tenant, locations=[location])
    path = f"/devices/{device['id']}"
    response = client.delete(path, headers=tenant.test)
    assert response.status_code == 202
    assert response.json() == {
        "id": device["id"],
        "object": "device",
        "deleted": True,
        "message": "Accepted",
    }
    assert_error(client.get(path, headers=tenant.test), 404, "device_not_found")
    assert_error(
        client.delete(path, headers=tenant.test),
        404,
        "device_not_found",
        context="api.device_delete",
    )
    assert links_of(database, device["id"]) == []
    with database.transaction(write=False) as session:
        assert session.get(Location, location) is not None  # the location stays
    assert events_of(database, device["id"])[-1] == ("device.delete", device)


def test_a_retried_create_with_an_idempotency_key_makes_one_device(client, tenant, database):
    headers = tenant.test | {"Idempotency-Key": "create-charger-1"}
    first = client.post("/devices", json=CHARGER, headers=headers)
    again = client.post("/devices", json=CHARGER, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert written_for(database, tenant.account_id) == (1, 1)
