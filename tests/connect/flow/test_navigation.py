"""Moving about the flow: BACK chains, CLOSE, resuming, EDIT, DISCONNECT, ended sessions."""

from __future__ import annotations

from tests.connect.flow.flow import (
    CALLBACK,
    EON_NEXT,
    LONDON,
    error,
    make_location,
    make_session,
    plain_provider,
    start,
    submit,
)


def redirect_of(token, callback=CALLBACK):
    url = f"{callback}&fp_cot={token}"
    return {"redirect_url": url, "redirect_uri": url}


def to_tod(client, token):
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    return submit(client, token, "tariff_structure_select", data={"options": ["TIME_OF_DAY"]})


def connect_fixed(client, token, name="Fixed", cost=0.3):
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": cost})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": name}})
    return submit(client, token, "contract_term_capture")


def test_back_chain_returns_page_by_page_then_ends_at_the_callback(client, tenant):
    incomplete = {"city": "London", "country_code": "GB"}
    token = make_session(client, tenant.test, incomplete)
    page = start(client, token)
    assert page["route"] == "postal_address_capture"
    assert page["actions"] == ["BACK", "CLOSE"]
    assert page["data"]["postal_address"] == {
        "address_line1": "",
        "address_line2": "",
        "city": "London",
        "state": "",
        "post_code": "",
        "country_code": "GB",
    }
    submit(client, token, "postal_address_capture", data={"postal_address": LONDON})
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    visited = []
    route = "tariff_name_capture"
    while True:
        page = submit(client, token, route, action="BACK")
        visited.append(page["route"])
        if page["route"] == "session_redirect":
            break
        route = page["route"]
    assert visited == [
        "rate_fixed_capture",
        "tariff_structure_select",
        "provider_select",
        "postal_address_capture",
        "session_redirect",
    ]
    assert page["data"] == redirect_of(token)
    # The customer left: the token now sends them straight back to the app.
    assert start(client, token)["route"] == "session_redirect"


def test_back_keeps_answers_so_far(client, tenant):
    token = make_session(client, tenant.test)
    to_tod(client, token)
    hours = [
        {"valid_from": "07:00:00", "valid_to": "22:00:00", "cost": 0.3},
        {"valid_from": "22:00:00", "valid_to": "07:00:00", "cost": 0.1},
    ]
    submit(client, token, "rate_tod_capture", data={"hours": hours})
    page = submit(client, token, "tariff_name_capture", action="BACK")
    assert page["route"] == "rate_tod_capture"
    assert page["data"]["hours"] == hours


def test_resume_after_reload_renders_the_current_page(client, tenant):
    token = make_session(client, tenant.test)
    page = to_tod(client, token)
    again = submit(client, token, "session_restore")  # the older name of session_start
    assert again == page
    assert start(client, token) == page
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert session["status"] == "IN_PROGRESS"


def test_close_on_any_page_ends_at_the_callback_and_the_token_is_then_spent(client, tenant):
    token = make_session(client, tenant.test)
    to_tod(client, token)
    answer = submit(client, token, "rate_tod_capture", action="CLOSE")
    assert answer["route"] == "session_redirect"
    assert answer["actions"] == []
    assert answer["data"] == redirect_of(token)
    # Nothing was connected: the token now only sends the customer back again.
    assert start(client, token)["route"] == "session_redirect"
    error(client, token, "rate_tod_capture", 409, "connect_session_ended", data={"hours": []})
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert (session["status"], session["data_available"]) == ("IN_PROGRESS", False)


def test_callback_without_query_and_with_fragment(client, tenant):
    token = make_session(client, tenant.test, callback_url="myapp://nova/done#top")
    start(client, token)
    answer = submit(client, token, "provider_select", action="CLOSE")
    assert answer["data"]["redirect_url"] == f"myapp://nova/done?fp_cot={token}#top"


def test_edit_after_connecting_replaces_the_sessions_own_tariff(client, tenant):
    token = make_session(client, tenant.test)
    connect_fixed(client, token, "First", 0.3)
    page = submit(client, token, "tariff_summary", action="EDIT")
    assert page["route"] == "provider_select"
    back = submit(client, token, "provider_select", action="BACK")
    assert back["route"] == "tariff_summary"
    submit(client, token, "tariff_summary", action="EDIT")
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    name_page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Second"}})
    summary = submit(client, token, "contract_term_capture")
    assert name_page["route"] == "contract_term_capture"
    assert summary["data"]["tariff"]["name"] == "Second"
    location_id = client.get(f"/connect/{token}", headers=tenant.test).json()["location_id"]
    tariffs = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert [(t["display_name"], t["status"]) for t in tariffs] == [("Second", "CONNECTED")]


def test_a_session_for_a_location_with_a_tariff_opens_its_summary(client, tenant):
    first = make_session(client, tenant.test)
    connect_fixed(client, first, "Existing")
    location_id = client.get(f"/connect/{first}", headers=tenant.test).json()["location_id"]
    token = make_session(client, tenant.test, location_id=location_id)
    page = start(client, token)
    assert page["route"] == "tariff_summary"
    assert page["data"]["tariff"]["name"] == "Existing"
    # EDIT in this session replaces a tariff it did not create: the old one is kept REPLACED.
    submit(client, token, "tariff_summary", action="EDIT")
    submit(client, token, "provider_select", data={"provider": {"id": EON_NEXT}})
    page = submit(client, token, "tariff_select", action="TARIFF_MISSING")
    assert page["route"] == "tariff_structure_select"
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "New"}})
    submit(client, token, "contract_term_capture")
    tariffs = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert [(t["display_name"], t["status"]) for t in tariffs] == [
        ("New", "CONNECTED"),
        ("Existing", "REPLACED"),
    ]


def test_disconnect_removes_the_tariff_and_ends(client, tenant):
    token = make_session(client, tenant.test)
    connect_fixed(client, token)
    answer = submit(client, token, "tariff_summary", action="DISCONNECT")
    assert answer["route"] == "session_redirect"
    assert answer["data"] == redirect_of(token)
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert (session["status"], session["data_available"]) == ("COMPLETED", False)
    tariffs = client.get(
        "/tariffs", params={"location_id": session["location_id"]}, headers=tenant.test
    ).json()["data"]
    assert tariffs == []


def test_an_ended_session_shows_the_summary_read_only_and_creates_nothing(client, tenant):
    token = make_session(client, tenant.test)
    connect_fixed(client, token, "Kept")
    submit(client, token, "tariff_summary", action="CLOSE")
    page = start(client, token)
    assert page["route"] == "tariff_summary"
    assert page["actions"] == ["CLOSE"]
    assert page["data"]["tariff"]["name"] == "Kept"
    for action in ("EDIT", "DISCONNECT", "WRONG_TARIFF"):
        error(client, token, "tariff_summary", 409, "connect_session_ended", action=action)
    error(
        client,
        token,
        "provider_select",
        409,
        "connect_session_ended",
        data={"provider": {"id": EON_NEXT}},
    )
    assert submit(client, token, "tariff_summary", action="CLOSE")["route"] == "session_redirect"
    # SAVE, from older front ends, means CLOSE.
    assert submit(client, token, "tariff_summary", action="SAVE")["route"] == "session_redirect"
    location_id = client.get(f"/connect/{token}", headers=tenant.test).json()["location_id"]
    tariffs = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert [t["display_name"] for t in tariffs] == ["Kept"]


def test_address_change_updates_the_location(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    page = submit(client, token, "provider_select", action="ADDRESS_CHANGE")
    assert page["route"] == "postal_address_capture"
    manchester = {
        "address_line1": "1 Piccadilly",
        "city": "Manchester",
        "post_code": "M1 1AE",
        "country_code": "gb",
    }
    page = submit(client, token, "postal_address_capture", data={"postal_address": manchester})
    assert page["route"] == "provider_select"
    assert page["data"]["postal_address"]["city"] == "Manchester"
    assert page["data"]["postal_address"]["country_code"] == "GB"
    location_id = client.get(f"/connect/{token}", headers=tenant.test).json()["location_id"]
    location = client.get(f"/locations/{location_id}", headers=tenant.test).json()
    assert location["postal_address"]["post_code"] == "M1 1AE"


def test_provider_missing_takes_a_typed_name(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    token = make_session(client, tenant.test, location_id=location_id)
    start(client, token)
    page = submit(client, token, "provider_select", action="PROVIDER_MISSING")
    assert page["route"] == "provider_name_capture"
    assert page["data"]["provider"] == {"name": ""}
    page = submit(client, token, "provider_name_capture", data={"provider": {"name": "Local Co"}})
    assert page["route"] == "tariff_structure_select"
    assert page["data"]["provider"] == {"id": None, "display_name": "Local Co", "logo_url": None}
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    page = submit(client, token, "tariff_name_capture", action="BACK")
    assert page["data"]["cost"] == 0.2


def test_wrong_tariff_recaptures_like_edit(client, tenant):
    token = make_session(client, tenant.test)
    connect_fixed(client, token)
    page = submit(client, token, "tariff_summary", action="WRONG_TARIFF")
    assert page["route"] == "provider_select"
    assert submit(client, token, "provider_select", action="BACK")["route"] == "tariff_summary"


def test_a_provider_named_by_the_app_skips_the_provider_page(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    body = {
        "location_id": location_id,
        "connect_url": "https://app.example.com/connect",
        "callback_url": CALLBACK,
        "provider_id": EON_NEXT,
    }
    token = client.post("/connect", json=body, headers=tenant.test).json()["id"]
    page = start(client, token)
    assert page["route"] == "tariff_select"
    assert page["data"]["provider"]["id"] == EON_NEXT
    # It is the first page: BACK leaves for the app.
    assert submit(client, token, "tariff_select", action="BACK")["route"] == "session_redirect"


def test_a_named_provider_that_does_not_serve_the_address_is_asked_for(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    berlin_only = plain_provider("DE")
    body = {
        "location_id": location_id,
        "connect_url": "https://app.example.com/connect",
        "callback_url": CALLBACK,
        "provider_id": berlin_only,
    }
    token = client.post("/connect", json=body, headers=tenant.test).json()["id"]
    assert start(client, token)["route"] == "provider_select"


def test_a_summary_whose_tariff_was_deleted_starts_the_capture_again(client, tenant):
    token = make_session(client, tenant.test)
    summary = connect_fixed(client, token)
    tariff_id = summary["data"]["tariff"]["id"]
    assert client.delete(f"/tariffs/{tariff_id}", headers=tenant.test).status_code == 202
    page = start(client, token)
    assert page["route"] == "provider_select"
    assert submit(client, token, "provider_select", action="BACK")["route"] == "session_redirect"
