"""/customers: the matrix, exact shapes, events and idempotency."""

import re

import pytest
from sqlalchemy import func, select

from tariffconnect.customers.models import Customer
from tariffconnect.events.models import Event
from tariffconnect.locations.models import Location
from tests.factories import make_location
from tests.helpers import assert_error, assert_scoped

ID = re.compile(r"cus_[0-9a-f]{24}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def create(client, tenant, **body):
    response = client.post("/customers", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def events_of(database, object_id):
    with database.transaction(write=False) as session:
        rows = session.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.id))
        return [(e.type, e.data) for e in rows]


def test_create_returns_the_exact_shape(client, tenant, database):
    body = create(client, tenant, reference_id="user-42")
    assert ID.fullmatch(body["id"]) and TIME.fullmatch(body["time_created"])
    assert body == {
        "id": body["id"],
        "object": "customer",
        "live_mode": False,
        "reference_id": "user-42",
        "locations": [],
        "time_created": body["time_created"],
        "account_id": tenant.account_id,
    }
    assert events_of(database, body["id"]) == [("customer.create", body)]


def test_live_mode_objects_are_live(client, tenant):
    response = client.post("/customers", json={}, headers=tenant.live)
    assert response.status_code == 201
    assert response.json()["live_mode"] is True
    assert response.json()["reference_id"] is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"reference_id": 5}, "reference_id_invalid"),
        ({"reference_id": "x" * 256}, "reference_id_invalid"),
        ({"nickname": "x"}, "nickname_unknown"),
    ],
)
def test_invalid_create_writes_nothing(client, tenant, database, body, code):
    response = client.post("/customers", json=body, headers=tenant.test)
    assert_error(response, 400, code, context="api.customer_create")
    with database.transaction(write=False) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.account_id == tenant.account_id)
        )
    assert count == 0


def test_retrieve_update_delete_matrix(client, tenant, other_tenant):
    customer = create(client, tenant)
    path = f"/customers/{customer['id']}"
    code = "customer_not_found"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code=code,
        context="api.customer_retrieve",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PATCH",
        path,
        json={"reference_id": "x"},
        not_found_code=code,
        context="api.customer_update",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "DELETE",
        path,
        not_found_code=code,
        context="api.customer_delete",
    )
    # Nothing above changed it.
    assert client.get(path, headers=tenant.test).json() == customer


def test_list_requires_auth_and_shows_only_own_mode(client, tenant, other_tenant):
    assert_error(
        client.get("/customers"), 401, "authentication_required", context="api.customer_list"
    )
    mine = create(client, tenant)
    assert client.get("/customers", headers=other_tenant.test).json()["data"] == []
    assert client.get("/customers", headers=tenant.live).json()["data"] == []
    listed = client.get("/customers", headers=tenant.test).json()
    assert listed == {"object": "list", "url": "/customers", "has_more": False, "data": [mine]}


def test_list_filters_by_reference_id(client, tenant):
    a = create(client, tenant, reference_id="a")
    create(client, tenant, reference_id="b")
    listed = client.get("/customers", params={"reference_id": "a"}, headers=tenant.test).json()
    assert listed["data"] == [a]


def test_patch_changes_only_given_fields_and_records_update(client, tenant, database):
    customer = create(client, tenant, reference_id="old")
    path = f"/customers/{customer['id']}"
    unchanged = client.patch(path, json={}, headers=tenant.test)
    assert unchanged.json()["reference_id"] == "old"
    response = client.patch(path, json={"reference_id": "new"}, headers=tenant.test)
    assert response.status_code == 200
    assert response.json() == customer | {"reference_id": "new"}
    types = [t for t, _ in events_of(database, customer["id"])]
    assert types == ["customer.create", "customer.update", "customer.update"]


def test_delete_keeps_locations_and_detaches_them(client, tenant, database):
    customer = create(client, tenant)
    location_id = make_location(database, tenant.account_id)
    with database.transaction() as session:
        session.get(Location, location_id).customer_id = customer["id"]
    path = f"/customers/{customer['id']}"
    assert client.get(path, headers=tenant.test).json()["locations"] == [location_id]
    response = client.delete(path, headers=tenant.test)
    assert response.status_code == 202
    assert response.json() == {
        "id": customer["id"],
        "object": "customer",
        "deleted": True,
        "message": "Accepted",
    }
    assert_error(client.get(path, headers=tenant.test), 404, "customer_not_found")
    with database.transaction(write=False) as session:
        assert session.get(Location, location_id).customer_id is None
    assert [t for t, _ in events_of(database, customer["id"])][-1] == "customer.delete"


def test_nul_characters_are_refused_not_a_server_error(client, tenant):
    response = client.post("/customers", json={"reference_id": "a\u0000"}, headers=tenant.test)
    assert_error(response, 400, "reference_id_invalid")
    assert_error(client.get("/customers/cus%00", headers=tenant.test), 404, "customer_not_found")
