"""POST /connect, GET and PATCH /connect/{id}: the seed contract."""

import json
import re
from datetime import datetime, timedelta
from importlib.resources import files

import pytest
from sqlalchemy import func, select

from tariffconnect.connect.models import ConnectSession
from tariffconnect.events.models import Event
from tariffconnect.providers import catalogue
from tests.factories import make_device, make_location
from tests.helpers import assert_error, assert_scoped

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SEED_KEYS = [
    "id",
    "location_id",
    "object",
    "live_mode",
    "data_available",
    "time_created",
    "time_expiry",
    "device_id",
    "provider_id",
    "connect_url",
    "callback_url",
    "status",
]
# Issue 14: the session's tariff element and route options, after the seed's fields.
ELEMENT_KEYS = ["tariff_type", "tariff_direction", "route_options"]
DEFAULT_ELEMENT = {
    "tariff_type": "COMMODITY",
    "tariff_direction": "IMPORT",
    "route_options": {
        "tariff_name_capture": True,
        "contract_term_capture": True,
        "advanced_tariff_capture": False,
    },
}
A_PROVIDER = "prv_" + "0" * 24


@pytest.fixture
def provider_id():
    shipped = json.loads(files("tariffconnect.data").joinpath("providers.json").read_text())
    assert catalogue.get(shipped[0]["id"]) is not None
    return shipped[0]["id"]


@pytest.fixture
def location_id(database, tenant):
    return make_location(database, tenant.account_id)


def body_for(location_id, **extra):
    return {
        "location_id": location_id,
        "connect_url": "myapp://nova/flatpeak/connect",
        "callback_url": "myapp://nova/flatpeak/complete",
        **extra,
    }


def create(client, tenant, body, **headers):
    response = client.post("/connect", json=body, headers=tenant.test | headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_seed_example_body_gets_the_seed_answer(
    client, database, tenant, provider_id, settings
):
    location_id = make_location(database, tenant.account_id)
    device_id = make_device(database, tenant.account_id)
    seed_body = {
        "location_id": location_id,
        "connect_url": "myapp://nova/flatpeak/connect",
        "callback_url": "myapp://nova/flatpeak/complete",
        "device_id": device_id,
        "provider_id": provider_id,
    }
    response = client.post("/connect", json=seed_body, headers=tenant.test)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == SEED_KEYS + ELEMENT_KEYS
    assert re.fullmatch(r"cot_[0-9a-f]{24}", body["id"])
    assert body == {
        "id": body["id"],
        "location_id": location_id,
        "object": "connect_session",
        "live_mode": False,
        "data_available": False,
        "time_created": body["time_created"],
        "time_expiry": body["time_expiry"],
        "device_id": device_id,
        "provider_id": provider_id,
        "connect_url": "myapp://nova/flatpeak/connect",
        "callback_url": "myapp://nova/flatpeak/complete",
        "status": "CREATED",
        **DEFAULT_ELEMENT,
    }
    created = datetime.strptime(body["time_created"], "%Y-%m-%dT%H:%M:%SZ")
    expiry = datetime.strptime(body["time_expiry"], "%Y-%m-%dT%H:%M:%SZ")
    assert TIME.fullmatch(body["time_created"]) and TIME.fullmatch(body["time_expiry"])
    assert expiry - created == timedelta(seconds=settings.connect_session_ttl_seconds)
    assert client.get(f"/connect/{body['id']}", headers=tenant.test).json() == body


def test_optional_fields_are_null_when_not_given(client, tenant, location_id):
    body = create(client, tenant, body_for(location_id))
    assert body["device_id"] is None and body["provider_id"] is None


def test_create_records_an_event_in_the_same_transaction(client, database, tenant, location_id):
    body = create(client, tenant, body_for(location_id))
    with database.transaction(write=False) as session:
        events = session.scalars(select(Event).where(Event.object_id == body["id"])).all()
    assert [(e.type, e.data, e.live_mode) for e in events] == [
        ("connect_session.create", body, False)
    ]


def test_live_token_creates_live_sessions_for_live_locations(client, database, tenant):
    live_location = make_location(database, tenant.account_id, live=True)
    response = client.post("/connect", json=body_for(live_location), headers=tenant.live)
    assert response.status_code == 200
    assert response.json()["live_mode"] is True
    # A test token cannot see the live location.
    test = client.post("/connect", json=body_for(live_location), headers=tenant.test)
    assert_error(test, 404, "location_not_found", context="api.connect_session_create")


def test_create_requires_authentication(client, location_id):
    response = client.post("/connect", json=body_for(location_id))
    assert_error(response, 401, "authentication_required", context="api.connect_session_create")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"location_id": None}, 400, "location_id_invalid"),
        ({"connect_url": "javascript:alert(1)"}, 400, "connect_url_invalid"),
        ({"callback_url": "http://example.com/done"}, 400, "callback_url_invalid"),
        ({"callback_url": 7}, 400, "callback_url_invalid"),
        ({"colour": "red"}, 400, "colour_unknown"),
        ({"device_id": "dev_" + "0" * 24}, 404, "device_not_found"),
        ({"provider_id": A_PROVIDER}, 404, "provider_not_found"),
        ({"location_id": "loc_" + "0" * 24}, 404, "location_not_found"),
    ],
)
def test_invalid_create_gets_its_code_and_writes_nothing(
    client, database, tenant, location_id, change, status, code
):
    body = body_for(location_id) | change
    response = client.post("/connect", json=body, headers=tenant.test)
    assert_error(response, status, code, context="api.connect_session_create")
    with database.transaction(write=False) as session:
        count = session.scalar(
            select(func.count())
            .select_from(ConnectSession)
            .where(ConnectSession.account_id == tenant.account_id)
        )
    assert count == 0


@pytest.mark.parametrize("field", ["location_id", "connect_url", "callback_url"])
def test_missing_required_field(client, tenant, location_id, field):
    body = body_for(location_id)
    del body[field]
    response = client.post("/connect", json=body, headers=tenant.test)
    assert_error(response, 400, f"{field}_missing", context="api.connect_session_create")


def test_another_accounts_device_is_not_found(client, database, tenant, other_tenant, location_id):
    foreign_device = make_device(database, other_tenant.account_id)
    response = client.post(
        "/connect", json=body_for(location_id, device_id=foreign_device), headers=tenant.test
    )
    assert_error(response, 404, "device_not_found")


def test_retrieve_and_update_matrix(client, tenant, other_tenant, location_id):
    created = create(client, tenant, body_for(location_id))
    path = f"/connect/{created['id']}"
    code = "connect_session_not_found"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code=code,
        context="api.connect_session_retrieve",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "PATCH",
        path,
        json={"callback_url": "https://app.example/x"},
        not_found_code=code,
        context="api.connect_session_update",
    )
    assert client.get(path, headers=tenant.test).json() == created


def test_patch_changes_the_given_fields(client, database, tenant, location_id, provider_id):
    created = create(client, tenant, body_for(location_id))
    other_location = make_location(database, tenant.account_id)
    device_id = make_device(database, tenant.account_id)
    change = {
        "location_id": other_location,
        "device_id": device_id,
        "provider_id": provider_id,
        "connect_url": "https://app.example/connect",
        "callback_url": "http://localhost:3000/done?x=1",
    }
    response = client.patch(f"/connect/{created['id']}", json=change, headers=tenant.test)
    assert response.status_code == 200
    assert response.json() == created | change
    cleared = client.patch(
        f"/connect/{created['id']}", json={"device_id": None}, headers=tenant.test
    )
    assert cleared.json()["device_id"] is None
    with database.transaction(write=False) as session:
        types = session.scalars(
            select(Event.type).where(Event.object_id == created["id"]).order_by(Event.id)
        ).all()
    assert types == ["connect_session.create", "connect_session.update", "connect_session.update"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"location_id": None}, 400, "location_id_invalid"),
        ({"connect_url": None}, 400, "connect_url_invalid"),
        ({"callback_url": "file:///etc/passwd"}, 400, "callback_url_invalid"),
        ({"location_id": "loc_" + "0" * 24}, 404, "location_not_found"),
        ({"status": "COMPLETED"}, 400, "status_unknown"),
    ],
)
def test_invalid_patch_changes_nothing(client, tenant, location_id, change, status, code):
    created = create(client, tenant, body_for(location_id))
    response = client.patch(f"/connect/{created['id']}", json=change, headers=tenant.test)
    assert_error(response, status, code, context="api.connect_session_update")
    assert client.get(f"/connect/{created['id']}", headers=tenant.test).json() == created


def test_expired_session_stays_readable_and_cannot_change(client, database, tenant, location_id):
    created = create(client, tenant, body_for(location_id))
    with database.transaction() as session:
        row = session.get(ConnectSession, created["id"])
        row.time_expiry = row.time_created - timedelta(seconds=1)
    read = client.get(f"/connect/{created['id']}", headers=tenant.test)
    assert read.status_code == 200
    assert read.json()["status"] == "EXPIRED"
    response = client.patch(
        f"/connect/{created['id']}", json={"provider_id": None}, headers=tenant.test
    )
    assert_error(response, 422, "connect_session_expired")


def test_completed_session_cannot_change(client, database, tenant, location_id):
    created = create(client, tenant, body_for(location_id))
    with database.transaction() as session:
        session.get(ConnectSession, created["id"]).status = "COMPLETED"
    response = client.patch(
        f"/connect/{created['id']}", json={"provider_id": None}, headers=tenant.test
    )
    assert_error(response, 422, "connect_session_completed")
    assert (
        client.get(f"/connect/{created['id']}", headers=tenant.test).json()["status"] == "COMPLETED"
    )


@pytest.mark.parametrize(
    "change",
    [{"location_id": "loc_\x00"}, {"device_id": "dev\x00"}, {"provider_id": "prv_\x00"}],
)
def test_nul_characters_in_ids_are_not_found_rather_than_a_server_error(
    client, tenant, location_id, change
):
    response = client.post("/connect", json=body_for(location_id) | change, headers=tenant.test)
    assert response.status_code == 404


def test_nul_in_a_path_id_is_not_found(client, tenant):
    assert_error(
        client.get("/connect/cot_%00", headers=tenant.test), 404, "connect_session_not_found"
    )


def test_retrieve_is_one_statement_and_data_available_follows_the_element(
    client, database, tenant, location_id
):
    """GET /connect/{id} reads the answer, data_available included, in one statement; an
    export tariff does not make an import session's data available, an import one does."""
    from tests.helpers import statements
    from tests.tariffs.support import flat, tariff_body

    session_id = create(client, tenant, body_for(location_id))["id"]
    bearer = tenant.test  # a login, outside the count

    def retrieve() -> tuple[bool, int]:
        with statements(database.engine) as sent:
            answer = client.get(f"/connect/{session_id}", headers=bearer)
        assert answer.status_code == 200
        return answer.json()["data_available"], sum(sql != "BEGIN" for sql in sent)

    assert retrieve() == (False, 1)
    export = tariff_body(location_id, flat(0.05), direction="EXPORT")
    assert client.post("/tariffs", json=export, headers=bearer).status_code == 201
    assert retrieve() == (False, 1)
    imported = tariff_body(location_id, flat(0.25))
    assert client.post("/tariffs", json=imported, headers=bearer).status_code == 201
    assert retrieve() == (True, 1)
