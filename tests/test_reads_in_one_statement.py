"""GET of a single object is one statement that returns the whole answer (issue 17), and says
what the object's other answers (its create and its list entry) say."""

from __future__ import annotations

from tariffconnect.locations.models import Location
from tests.factories import make_location
from tests.helpers import statements
from tests.tariffs.support import flat, tariff_body


def one_read(client, database, bearer, path):
    """The answer of GET `path` and the number of statements it sent (BEGIN aside)."""
    with statements(database.engine) as sent:
        answer = client.get(path, headers=bearer)
    assert answer.status_code == 200, answer.text
    return answer.json(), sum(sql != "BEGIN" for sql in sent)


def listed(client, bearer, path, object_id):
    page = client.get(path, headers=bearer).json()["data"]
    return next(item for item in page if item["id"] == object_id)


def test_a_device_with_its_locations(client, database, tenant):
    first, second = (make_location(database, tenant.account_id) for _ in range(2))
    bearer = tenant.test
    body = {"reference_id": "charger-1", "type": "EV_CHARGER", "locations": [second, first]}
    made = client.post("/devices", json=body, headers=bearer).json()
    answer, count = one_read(client, database, bearer, f"/devices/{made['id']}")
    assert (answer["locations"], count) == (sorted([first, second]), 1)
    assert answer == made == listed(client, bearer, "/devices", made["id"])


def test_a_customer_with_its_locations(client, database, tenant):
    bearer = tenant.test
    made = client.post("/customers", json={"reference_id": "c-1"}, headers=bearer).json()
    assert one_read(client, database, bearer, f"/customers/{made['id']}") == (made, 1)
    first, second = (make_location(database, tenant.account_id) for _ in range(2))
    with database.transaction() as session:
        for location_id in (second, first):
            session.get(Location, location_id).customer_id = made["id"]
    answer, count = one_read(client, database, bearer, f"/customers/{made['id']}")
    assert (answer["locations"], count) == (sorted([first, second]), 1)
    assert answer == listed(client, bearer, "/customers", made["id"])


def test_a_tariff(client, database, tenant):
    bearer = tenant.test
    location_id = make_location(database, tenant.account_id)
    made = client.post("/tariffs", json=tariff_body(location_id, flat(0.25)), headers=bearer)
    assert made.status_code == 201, made.text
    answer, count = one_read(client, database, bearer, f"/tariffs/{made.json()['id']}")
    assert (answer, count) == (made.json(), 1)


def test_another_accounts_objects_are_not_found_in_one_read(client, database, tenant, other_tenant):
    bearer = other_tenant.test
    device = client.post(
        "/devices", json={"reference_id": "d", "type": "EV_CHARGER"}, headers=tenant.test
    ).json()
    customer = client.post("/customers", json={}, headers=tenant.test).json()
    for path, code in (
        (f"/devices/{device['id']}", "device_not_found"),
        (f"/customers/{customer['id']}", "customer_not_found"),
    ):
        answer = client.get(path, headers=bearer)
        assert (answer.status_code, answer.json()["code"]) == (404, code)


def test_a_location_with_its_devices_and_tariff_elements(client, database, tenant):
    bearer = tenant.test
    client.get("/account", headers=bearer)  # the key's state read once, before the count
    location_id = make_location(database, tenant.account_id)
    answer, count = one_read(client, database, bearer, f"/locations/{location_id}")
    assert (answer["devices"], answer["tariff_elements"], count) == ([], [], 1)
    devices = [
        client.post(
            "/devices",
            json={"reference_id": f"d{i}", "type": "EV_CHARGER", "locations": [location_id]},
            headers=bearer,
        ).json()["id"]
        for i in range(2)
    ]
    for body in (
        tariff_body(location_id, flat(0.25)),
        tariff_body(location_id, flat(0.05), direction="EXPORT"),
    ):
        assert client.post("/tariffs", json=body, headers=bearer).status_code == 201
    answer, count = one_read(client, database, bearer, f"/locations/{location_id}")
    assert count == 1
    assert answer["devices"] == sorted(devices)
    assert [(e["type"], e["direction"], e["provider_id"]) for e in answer["tariff_elements"]] == [
        ("COMMODITY", "IMPORT", None),
        ("COMMODITY", "EXPORT", None),
    ]
    assert answer == listed(client, bearer, "/locations", location_id)
