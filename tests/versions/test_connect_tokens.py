"""Connect tokens of zero (`/connect/tariff/token`), anode (`/connect/token`) and busbar's
earlier `/connect/sessions`: creation, sessions without a location, actions, the exchange."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tariffconnect.connect.models import ConnectSession
from tariffconnect.core import versions
from tariffconnect.core.timeutil import utcnow
from tests.connect.flow.flow import CALLBACK, LONDON, make_location, plain_provider, start, submit
from tests.helpers import assert_error, assert_scoped
from tests.tariffs.support import flat, tariff_body

CONNECT = "https://app.example.com/connect"
PATHS = {
    "zero": "/connect/tariff/token",
    "anode": "/connect/token",
    "busbar": "/connect/sessions",
}
CREATE_CONTEXTS = {
    "zero": "api.connect_token_create_zero",
    "anode": "api.connect_token_create",
    "busbar": "api.connect_session_create_token",
}
EXCHANGES = {"zero": "/connect/tariff/token", "anode": "/connect/token"}
EXCHANGE_CONTEXTS = {
    "zero": "api.connect_token_exchange_zero",
    "anode": "api.connect_token_exchange",
}
EXCHANGE_KEYS = {
    "id",
    "object",
    "live_mode",
    "customer_id",
    "customer_reference_id",
    "location_id",
    "location_reference_id",
    "tariff_available",
    "status",
    "time_created",
    "time_expiry",
}


def urls(release: str) -> dict[str, str]:
    if release == "zero":
        return {"connect_web_uri": CONNECT, "callback_uri": CALLBACK}
    return {"connect_url": CONNECT, "callback_url": CALLBACK}


def create_token(client, headers, release="zero", **body):
    response = client.post(PATHS[release], json=urls(release) | body, headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert set(out) == {"connect_token", "expires_in", "live_mode"}
    assert (out["expires_in"], out["live_mode"]) == (86400, False)
    return out["connect_token"]


def exchange(client, headers, token, release="zero"):
    response = client.get(EXCHANGES[release], params={"connect_token": token}, headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert set(out) == EXCHANGE_KEYS
    return out


def fixed_tariff_through(client, token, *, address=True):
    """Drive the flow from its first page to a connected fixed tariff."""
    page = submit(client, token, "session_restore")
    if address:
        assert page["route"] == "postal_address_capture"
        page = submit(client, token, "postal_address_capture", data={"postal_address": LONDON})
    assert page["route"] == "provider_select"
    provider = {"provider": {"id": plain_provider()}}
    page = submit(client, token, "provider_select", data=provider)
    page = submit(client, token, "tariff_structure_select", action="FIXEDRATE")
    assert page["route"] == "rate_fixed_capture"
    page = submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    page = submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Fixed"}})
    return submit(client, token, "contract_term_capture")


@pytest.mark.parametrize("release", ["zero", "anode", "busbar"])
def test_every_release_creates_a_token_and_names_itself(client, tenant, release):
    response = client.post(PATHS[release], json=urls(release), headers=tenant.test)
    assert response.status_code == 200, response.text
    expected = {"zero": versions.ZERO, "anode": versions.ANODE, "busbar": versions.BUSBAR}
    assert response.headers["flatpeak-version"] == expected[release]
    token = response.json()["connect_token"]
    assert token.startswith("cot_")
    page = start(client, token)
    assert page["route"] == "postal_address_capture"
    assert page["data"]["postal_address"] == dict.fromkeys(
        ("address_line1", "address_line2", "city", "state", "post_code", "country_code"), ""
    )


@pytest.mark.parametrize("release", ["zero", "anode", "busbar"])
def test_token_creation_matrix(client, database, tenant, other_tenant, release):
    path = PATHS[release]
    context = CREATE_CONTEXTS[release]
    body = urls(release)
    assert_error(client.post(path, json=body), 401, "authentication_required", context=context)
    own = make_location(client, tenant.test, LONDON)
    for headers in (other_tenant.test, tenant.live):
        response = client.post(path, json=body | {"location_id": own}, headers=headers)
        assert_error(response, 404, "location_not_found", context=context)
    cases = [
        ({}, 400, "connect_url_missing"),
        (
            body | {"location_id": own, "location_reference_id": "home"},
            400,
            "location_id_conflict",
        ),
        (body | {"tariff_direction": "LOCAL"}, 400, "tariff_direction_not_supported"),
        (
            body | {"tariff_direction": "EXPORT", "tariff_type": "NON_COMMODITY"},
            400,
            "tariff_direction_not_supported",
        ),
        (body | {"actions": {"disconnect_tariff": True}}, 400, "location_id_missing"),
        (body | {"customer_id": "cus_" + "0" * 24}, 404, "customer_not_found"),
        (body | {"tariff_id": "trf_" + "0" * 24}, 404, "tariff_not_found"),
        (
            body | {"postal_address": {"city": "London", "country_code": "XX"}},
            400,
            "country_code_invalid",
        ),
        (body | {"route_options": {"colour": True}}, 400, "route_options_invalid"),
        (body | {"route_options": {"tariff_name_capture": "no"}}, 400, "route_options_invalid"),
    ]
    for given, status, code in cases:
        response = client.post(path, json=given, headers=tenant.test)
        assert_error(response, status, code, context=context)
    assert (
        client.post(path, json=body | {"location_id": own}, headers=tenant.test).status_code == 200
    )


@pytest.mark.parametrize("release", ["zero", "anode"])
def test_exchange_matrix(client, database, tenant, other_tenant, release):
    token = create_token(client, tenant.test, release)
    path = f"{EXCHANGES[release]}?connect_token={token}"
    context = EXCHANGE_CONTEXTS[release]
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        path,
        not_found_code="connect_token_not_found",
        context=context,
    )
    missing = client.get(EXCHANGES[release], headers=tenant.test)
    assert_error(missing, 400, "connect_token_missing", context=context)
    out = exchange(client, tenant.test, token, release)
    assert out["id"] == token
    assert out["object"] == "connect_token"
    assert (out["location_id"], out["tariff_available"], out["status"]) == (None, False, "CREATED")
    with database.transaction() as session:
        session.get(ConnectSession, token).time_expiry = utcnow() - timedelta(seconds=1)
    expired = client.get(EXCHANGES[release], params={"connect_token": token}, headers=tenant.test)
    assert_error(expired, 422, "connect_token_expired", context=context)


def test_a_token_without_a_location_creates_it_when_the_flow_completes(client, tenant):
    token = create_token(
        client,
        tenant.test,
        customer_reference_id="user-42",
        location_reference_id="home-1",
        postal_address_type="RESIDENTIAL",
    )
    summary = fixed_tariff_through(client, token)
    assert summary["route"] == "summary_fixed_confirm"
    assert summary["actions"][0] == "SAVE"
    assert summary["data"]["cost"] == 0.25
    assert summary["direction"] == "IMPORT"
    out = exchange(client, tenant.test, token)
    assert out["location_id"].startswith("loc_")
    assert out["customer_id"].startswith("cus_")
    assert (out["customer_reference_id"], out["location_reference_id"]) == ("user-42", "home-1")
    assert (out["tariff_available"], out["status"]) == (True, "COMPLETED")
    location = client.get(f"/locations/{out['location_id']}", headers=tenant.test).json()
    assert location["reference_id"] == "home-1"
    assert location["customer_id"] == out["customer_id"]
    assert location["postal_address"]["post_code"] == "SW1A 2AA"
    assert location["tariff_status"]["commodity_import"] == "CONNECTED"
    customer = client.get(f"/customers/{out['customer_id']}", headers=tenant.test).json()
    assert customer["reference_id"] == "user-42"
    # Another token of the same customer reference reuses the customer.
    second = create_token(client, tenant.test, customer_reference_id="user-42")
    fixed_tariff_through(client, second)
    assert exchange(client, tenant.test, second)["customer_id"] == out["customer_id"]


def test_an_abandoned_token_creates_nothing(client, tenant):
    token = create_token(client, tenant.test, location_reference_id="never")
    submit(client, token, "session_restore")
    submit(client, token, "postal_address_capture", data={"postal_address": LONDON})
    listed = client.get("/locations", params={"reference_id": "never"}, headers=tenant.test)
    assert listed.json()["data"] == []
    out = exchange(client, tenant.test, token)
    assert (out["location_id"], out["tariff_available"], out["status"]) == (
        None,
        False,
        "IN_PROGRESS",
    )


def test_a_prefill_with_city_and_country_skips_the_address_page(client, tenant):
    token = create_token(client, tenant.test, "anode", postal_address=LONDON)
    summary = fixed_tariff_through(client, token, address=False)
    assert summary["route"] == "tariff_summary"
    out = exchange(client, tenant.test, token, "anode")
    location = client.get(f"/locations/{out['location_id']}", headers=tenant.test).json()
    assert location["postal_address"]["city"] == "London"


def test_a_partial_prefill_fills_the_address_page(client, tenant):
    token = create_token(client, tenant.test, postal_address={"post_code": "SW1A 2AA"})
    page = start(client, token)
    assert page["route"] == "postal_address_capture"
    assert page["data"]["postal_address"]["post_code"] == "SW1A 2AA"
    assert page["data"]["postal_address"]["city"] == ""


def connected_location(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    body = tariff_body(location_id, flat(0.2))
    assert client.post("/tariffs", json=body, headers=tenant.test).status_code == 201
    return location_id


@pytest.mark.parametrize(
    ("release", "ending"), [("zero", "session_complete"), ("busbar", "session_redirect")]
)
def test_disconnect_tariff_disconnects_without_a_page(client, tenant, release, ending):
    location_id = connected_location(client, tenant)
    token = create_token(
        client, tenant.test, release, location_id=location_id, actions={"disconnect_tariff": True}
    )
    answer = start(client, token)
    assert answer["route"] == ending
    expected = f"{CALLBACK}&fp_cot={token}"
    assert answer["data"]["redirect_url"] == expected
    if release == "zero":
        assert answer["data"]["callback_uri"] == answer["data"]["callback_url"] == expected
    location = client.get(f"/locations/{location_id}", headers=tenant.test).json()
    assert location["tariff_status"]["commodity_import"] == "NOT_CONNECTED"


def test_edit_tariff_starts_at_provider_selection(client, tenant):
    location_id = connected_location(client, tenant)
    plain = create_token(client, tenant.test, location_id=location_id)
    assert start(client, plain)["route"] == "summary_fixed_confirm"
    editing = create_token(
        client, tenant.test, location_id=location_id, actions={"edit_tariff": True}
    )
    assert start(client, editing)["route"] == "provider_select"


def test_route_options_can_skip_the_name_and_contract_pages(client, tenant):
    token = create_token(
        client,
        tenant.test,
        "anode",
        postal_address=LONDON,
        route_options={"tariff_name_capture": False, "contract_term_capture": False},
    )
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    summary = submit(client, token, "rate_fixed_capture", data={"cost": 0.3})
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["tariff"]["contract_end_date"] is None
    assert summary["data"]["tariff"]["name"].endswith("fixed rate")


@pytest.mark.parametrize(
    "switch",
    [
        {"actions": {"advanced_tariff_capture": True}},  # anode's
        {"route_options": {"advanced_tariff_capture": True}},  # busbar's
        {"route_options": {"advanced_tariff_capture": None}},  # null: the default, off
    ],
)
def test_the_advanced_page_is_switched_on_as_each_release_names_it(client, tenant, switch):
    token = create_token(client, tenant.test, "anode", postal_address=LONDON, **switch)
    start(client, token)
    page = submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    on = True in {*switch.get("actions", {}).values(), *switch.get("route_options", {}).values()}
    expected = ["FIXED", "TIME_OF_DAY", "MARKET", *(["ADVANCED"] if on else [])]
    assert page["data"]["options"] == expected


def test_an_export_token_captures_an_export_tariff(client, tenant):
    token = create_token(client, tenant.test, "anode", tariff_direction="EXPORT")
    summary = fixed_tariff_through(client, token)
    assert summary["direction"] == "EXPORT"
    out = exchange(client, tenant.test, token, "anode")
    location = client.get(f"/locations/{out['location_id']}", headers=tenant.test).json()
    assert location["tariff_status"]["commodity_export"] == "CONNECTED"
    assert location["tariff_status"]["commodity_import"] == "NOT_CONNECTED"


def test_a_tariff_id_targets_that_tariffs_location(client, tenant):
    location_id = connected_location(client, tenant)
    [tariff] = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    token = create_token(client, tenant.test, "anode", tariff_id=tariff["id"])
    assert exchange(client, tenant.test, token, "anode")["location_id"] == location_id
    assert start(client, token)["route"] == "tariff_summary"


def test_early_route_names_end_in_session_complete(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    token = create_token(client, tenant.test, "busbar", location_id=location_id)
    summary = fixed_tariff_through(client, token, address=False)
    assert summary["route"] == "tariff_summary"  # a busbar session keeps today's names
    body = {"session_id": token, "route": "summary_fixed_confirm", "action": "SAVE"}
    response = client.post("/connect/flow", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = f"{CALLBACK}&fp_cot={token}"
    assert answer["route"] == "session_complete"
    assert answer["data"] == {
        "callback_uri": expected,
        "callback_url": expected,
        "redirect_url": expected,
        "redirect_uri": expected,
    }


def test_the_aliases_are_in_the_schema_and_deprecated(client):
    spec = client.get("/openapi.json").json()["paths"]
    for path, methods in {
        "/connect/tariff/token": ("post", "get"),
        "/connect/token": ("post", "get"),
        "/connect/sessions": ("post",),
    }.items():
        for method in methods:
            assert spec[path][method]["deprecated"] is True, (method, path)
    assert "deprecated" not in spec["/connect"]["post"]


def test_connect_token_and_sessions_paths_are_never_session_ids(client, tenant):
    response = client.patch("/connect/token", json={}, headers=tenant.test)
    body = assert_error(response, 405, "method_not_allowed", context="api.connect_token_create")
    assert body["message"] == (
        "PATCH is not allowed on /connect/token; it answers POST (connect_token_create), "
        "GET (connect_token_exchange)."
    )
    assert response.headers["allow"] == "POST, GET"
    response = client.get("/connect/sessions", headers=tenant.test)
    assert_error(response, 405, "method_not_allowed", context="api.connect_session_create_token")


def test_the_hosted_pages_complete_a_zero_token_without_a_location(client, tenant):
    from tests.connect.web import follow, press, show
    from tests.connect.web.test_flow import to_structure_page

    token = create_token(client, tenant.test, location_reference_id="hosted-1")
    page = to_structure_page(client, token)
    page = follow(client, press(client, page, "Continue", choose="Fixed rate"))
    page = follow(client, press(client, page, "Continue", fill={"Price per kWh": "24,5"}))
    page = follow(client, press(client, page, "Continue", fill={"Tariff name": "Hosted"}))
    page = follow(client, press(client, page, "Skip \u2013 until terminated"))
    assert page.route == "tariff_summary"  # the hosted pages keep today's names
    done = press(client, page, "Done")
    assert done.headers["location"] == f"{CALLBACK}&fp_cot={token}"
    out = exchange(client, tenant.test, token)
    assert (out["location_reference_id"], out["tariff_available"]) == ("hosted-1", True)
    assert show(client, token).route == "tariff_summary"


def test_errors_name_the_page_as_the_client_named_it(client, tenant):
    token = create_token(client, tenant.test, postal_address=LONDON)
    submit(client, token, "session_restore")
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    page = submit(client, token, "tariff_structure_select", data={"options": ["MARKET"]})
    assert page["route"] == "market_surcharge_capture"
    bad = {"surcharge": {"fixed": 0, "percentage": "lots"}}
    answer = submit(client, token, "market_surcharge_capture", data=bad, status=400)
    assert (answer["code"], answer["context"]) == (
        "surcharge_percentage_invalid",
        "connect.market_surcharge_capture",
    )


def test_zeros_contract_page_takes_the_start_date_too(client, tenant):
    token = create_token(client, tenant.test, postal_address=LONDON)
    submit(client, token, "session_restore")
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.2})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Dated"}})
    bad = {"contract_start_date": "last spring", "contract_end_date": None}
    answer = submit(client, token, "contract_term_capture", data=bad, status=400)
    assert (answer["code"], answer["message"]) == (
        "date_format_invalid",
        "contract_start_date must be a date such as 2027-06-30.",
    )
    term = {"contract_start_date": "2025-06-15T00:00:00Z", "contract_end_date": None}
    summary = submit(client, token, "contract_term_capture", data=term)
    assert summary["route"] == "summary_fixed_confirm"
    location_id = exchange(client, tenant.test, token)["location_id"]
    [tariff] = client.get(
        "/tariffs", params={"location_id": location_id}, headers=tenant.test
    ).json()["data"]
    assert (tariff["contract_start_date"], tariff["contract_end_date"]) == (
        "2025-06-15T00:00:00Z",
        None,
    )
