"""GET /events and GET /events/{id}: what changed, scoped, newest first."""

import re

from tests.helpers import assert_error, assert_scoped

TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def make_location(client, tenant, headers=None):
    body = {"postal_address": {"city": "Leeds", "country_code": "GB"}}
    response = client.post("/locations", json=body, headers=headers or tenant.test)
    assert response.status_code == 201
    return response.json()


def test_changes_are_listed_newest_first_with_snapshots(client, tenant):
    location = make_location(client, tenant)
    client.patch(f"/locations/{location['id']}", json={"reference_id": "home"}, headers=tenant.test)
    listed = client.get("/events", params={"object_id": location["id"]}, headers=tenant.test).json()
    assert listed["object"] == "list" and listed["url"] == "/events" and listed["has_more"] is False
    update, create = listed["data"]
    assert (update["type"], create["type"]) == ("location.update", "location.create")
    assert create["data"] == location
    assert update["data"] == location | {"reference_id": "home"}
    for event in listed["data"]:
        assert set(event) == {"id", "object", "type", "data", "live_mode", "time_created"}
        assert re.fullmatch(r"evt_[0-9a-f]{24}", event["id"]) and TIME.fullmatch(
            event["time_created"]
        )
        assert event["object"] == "event" and event["live_mode"] is False
    assert client.get(f"/events/{create['id']}", headers=tenant.test).json() == create


def test_filter_by_type(client, tenant):
    first = make_location(client, tenant)
    second = make_location(client, tenant)
    client.post("/customers", json={}, headers=tenant.test)
    listed = client.get(
        "/events", params={"event_type": "location.create"}, headers=tenant.test
    ).json()
    assert [e["data"]["id"] for e in listed["data"]] == [second["id"], first["id"]]


def test_events_are_scoped_to_account_and_mode(client, tenant, other_tenant):
    location = make_location(client, tenant)
    event = client.get("/events", params={"object_id": location["id"]}, headers=tenant.test).json()[
        "data"
    ][0]
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"/events/{event['id']}",
        not_found_code="event_not_found",
        context="api.event_retrieve",
    )
    assert client.get("/events", headers=other_tenant.test).json()["data"] == []
    assert client.get("/events", headers=tenant.live).json()["data"] == []
    assert_error(client.get("/events"), 401, "authentication_required", context="api.event_list")


def test_invalid_filters(client, tenant):
    response = client.get("/events", params={"object_id": "not an id"}, headers=tenant.test)
    assert_error(response, 400, "object_id_invalid", context="api.event_list")
    assert_error(client.get("/events/evt_%00", headers=tenant.test), 404, "event_not_found")
