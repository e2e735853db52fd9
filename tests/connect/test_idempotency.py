"""Idempotency-Key on POST /connect and PATCH /connect/{id}, including concurrent retries."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tariffconnect.connect.models import ConnectSession
from tariffconnect.events.models import Event
from tests.factories import make_location
from tests.helpers import assert_error


def body_for(location_id, callback="myapp://done"):
    return {"location_id": location_id, "connect_url": "myapp://c", "callback_url": callback}


def count_sessions(database, account_id):
    with database.transaction(write=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(ConnectSession)
            .where(ConnectSession.account_id == account_id)
        )


def test_retry_replays_the_first_answer_and_creates_nothing(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    headers = tenant.test | {"Idempotency-Key": "create-1"}
    first = client.post("/connect", json=body_for(location_id), headers=headers)
    again = client.post("/connect", json=body_for(location_id), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count_sessions(database, tenant.account_id) == 1
    with database.transaction(write=False) as session:
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.object_id == first.json()["id"])
        )
    assert events == 1


def test_same_key_different_body_is_422(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    headers = tenant.test | {"Idempotency-Key": "create-2"}
    assert client.post("/connect", json=body_for(location_id), headers=headers).status_code == 200
    other = client.post("/connect", json=body_for(location_id, "myapp://else"), headers=headers)
    assert_error(other, 422, "idempotency_key_reused", context="api.connect_session_create")
    assert count_sessions(database, tenant.account_id) == 1


def test_same_key_on_another_endpoint_is_422(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    headers = tenant.test | {"Idempotency-Key": "shared"}
    created = client.post("/connect", json=body_for(location_id), headers=headers).json()
    patch = client.patch(f"/connect/{created['id']}", json={}, headers=headers)
    assert_error(patch, 422, "idempotency_key_reused")


def test_keys_are_per_account_and_mode(client, database, tenant, other_tenant):
    key = {"Idempotency-Key": "same-key"}
    test_location = make_location(database, tenant.account_id)
    live_location = make_location(database, tenant.account_id, live=True)
    other_location = make_location(database, other_tenant.account_id)
    a = client.post("/connect", json=body_for(test_location), headers=tenant.test | key)
    b = client.post("/connect", json=body_for(live_location), headers=tenant.live | key)
    c = client.post("/connect", json=body_for(other_location), headers=other_tenant.test | key)
    assert {a.status_code, b.status_code, c.status_code} == {200}
    assert len({a.json()["id"], b.json()["id"], c.json()["id"]}) == 3


def test_a_failed_request_does_not_hold_the_key(client, database, tenant):
    headers = tenant.test | {"Idempotency-Key": "retry-after-fix"}
    missing = client.post("/connect", json=body_for("loc_" + "0" * 24), headers=headers)
    assert_error(missing, 404, "location_not_found")
    location_id = make_location(database, tenant.account_id)
    # The corrected retry is a different body: the failed attempt left no record behind.
    fixed = client.post("/connect", json=body_for(location_id), headers=headers)
    assert fixed.status_code == 200


def test_key_longer_than_255_characters_is_refused(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    headers = tenant.test | {"Idempotency-Key": "k" * 256}
    response = client.post("/connect", json=body_for(location_id), headers=headers)
    assert_error(response, 400, "idempotency_key_invalid")
    assert count_sessions(database, tenant.account_id) == 0
    ok = client.post(
        "/connect", json=body_for(location_id), headers=tenant.test | {"Idempotency-Key": "k" * 255}
    )
    assert ok.status_code == 200


def test_patch_retry_replays(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    created = client.post("/connect", json=body_for(location_id), headers=tenant.test).json()
    headers = tenant.test | {"Idempotency-Key": "patch-1"}
    path = f"/connect/{created['id']}"
    first = client.patch(path, json={"callback_url": "myapp://one"}, headers=headers)
    client.patch(path, json={"callback_url": "myapp://two"}, headers=tenant.test)
    again = client.patch(path, json={"callback_url": "myapp://one"}, headers=headers)
    assert again.content == first.content
    assert client.get(path, headers=tenant.test).json()["callback_url"] == "myapp://two"


def test_concurrent_duplicates_create_exactly_one_session(client, database, tenant):
    location_id = make_location(database, tenant.account_id)
    headers = tenant.test | {"Idempotency-Key": "burst"}
    body = body_for(location_id)

    def send(_):
        return client.post("/connect", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(24)))
    ok = [r for r in responses if r.status_code == 200]
    busy = [r for r in responses if r.status_code == 409]
    assert len(ok) + len(busy) == len(responses), [r.text for r in responses]
    assert ok, "at least the first attempt succeeds"
    assert len({r.content for r in ok}) == 1
    for response in busy:
        assert_error(response, 409, "idempotency_key_in_use")
    assert count_sessions(database, tenant.account_id) == 1
