"""The auth-module routes of DIRECT connections on POST /connect/flow, spoken as a module
speaks them (server to server, no Content-Type), with the Sandbox adapter: every page, every
action and every refusal, with exact replies; a refusal stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tariffconnect.connect.flow import runner
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.core.errors import ApiError
from tariffconnect.integrations.models import AuthMetadata, DirectConnection
from tariffconnect.providers import logo
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.connect.flow.flow import LONDON, make_session, plain_provider, post, start, submit

CONNECT_URL = "https://app.example.com/connect"
SANDBOX_PROVIDER = {
    "id": SANDBOX_PROVIDER_ID,
    "display_name": "Sandbox Energy",
    "logo_url": f"http://testserver{logo.path(SANDBOX_PROVIDER_ID)}",
}
MODULE_PROVIDER = {**SANDBOX_PROVIDER, "accent_color": None}
ACCOUNT = {"display_name": "Test", "privacy_url": None, "terms_url": None}
MODULE_ACTIONS = ["DISMISS_DIRECT", "PROVIDER_CHANGE"]


def page(token: str, route: str, actions: list[str], data: dict[str, Any]) -> dict[str, Any]:
    """A reply of the flow, in full (test mode, commodity import)."""
    return {
        "connect_token": token,
        "route": route,
        "type": "render",
        "tariff_type": "COMMODITY",
        "direction": "IMPORT",
        "live_mode": False,
        "actions": actions,
        "data": data,
    }


def redirect(token: str, url: str) -> dict[str, Any]:
    return page(token, "session_redirect", [], {"redirect_url": url, "redirect_uri": url})


def module(
    client: Any,
    token: str,
    route: str,
    *,
    data: dict[str, Any] | None = None,
    action: str | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """A request as an auth module sends it: `start_tariff_integration` without `type`."""
    body: dict[str, Any] = {"connect_token": token, "route": route}
    if route != "start_tariff_integration" or action is not None:
        body["type"] = "submit"
    if action is not None:
        body["action"] = action
    if data is not None:
        body["data"] = data
    response = post(client, body)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def to_sandbox(client: Any, headers: dict[str, str], **session: Any) -> str:
    """A session whose customer chose Sandbox Energy and is at its login page."""
    token = make_session(client, headers, **session)
    start(client, token)
    answer = submit(
        client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER_ID}}
    )
    auth = f"http://testserver/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot={token}"
    assert answer == redirect(token, auth)
    assert module(client, token, "start_tariff_integration") == page(
        token,
        "auth_metadata_capture",
        MODULE_ACTIONS,
        {"provider": MODULE_PROVIDER, "account": ACCOUNT},
    )
    return token


def log_in(client: Any, token: str, login: str, password: str = "pass_good") -> dict[str, Any]:
    data = {"login": login, "password": password}
    return module(client, token, "auth_metadata_capture", data=data)


def back_url(token: str, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"{CONNECT_URL}?{extra[1:] + '&' if extra else ''}fp_cot={token}"


def stored(database: Any) -> list[tuple[str | None, bool]]:
    """Every stored credential: (its session, consent given)."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(AuthMetadata.connect_session_id, AuthMetadata.consent_given_at)
        )
        # Rows other tests left without a session sort too: by their session id as text.
        return sorted(
            ((sid, given is not None) for sid, given in rows), key=lambda r: (r[0] or "", r[1])
        )


def stored_for(database: Any, token: str) -> list[bool]:
    return [given for sid, given in stored(database) if sid == token]


def connections(database: Any, location_id: str) -> int:
    with database.transaction(write=False) as session:
        query = select(func.count()).where(DirectConnection.location_id == location_id)
        return int(session.scalar(query) or 0)


def refused(
    client: Any, token: str, route: str, status: int, code: str, **kw: Any
) -> dict[str, Any]:
    """A module request answered with the error `code`, in the context of its route."""
    answer = module(client, token, route, status=status, **kw)
    assert answer["object"] == "error"
    assert (answer["code"], answer["context"], answer["connect_token"]) == (
        code,
        f"connect.{route}",
        token,
    )
    return answer


# -- choosing the provider -------------------------------------------------------------------


def test_the_sandbox_is_offered_last_in_test_mode_for_every_country(client, tenant):
    for address in (
        LONDON,
        {
            "address_line1": "Unter den Linden 1",
            "city": "Berlin",
            "post_code": "10117",
            "country_code": "DE",
        },
    ):
        token = make_session(client, tenant.test, address)
        providers = start(client, token)["data"]["providers"]
        assert providers[-1] == SANDBOX_PROVIDER
        assert [p["id"] for p in providers].count(SANDBOX_PROVIDER_ID) == 1


def test_the_sandbox_is_not_offered_in_live_mode(client, tenant):
    token = make_session(client, tenant.live)
    ids = [p["id"] for p in start(client, token)["data"]["providers"]]
    assert SANDBOX_PROVIDER_ID not in ids
    answer = submit(
        client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER_ID}}, status=400
    )
    assert answer["code"] == "provider_id_invalid"


def test_the_main_front_end_is_sent_to_the_module_again_until_it_returns(client, tenant):
    token = to_sandbox(client, tenant.test)
    auth = f"http://testserver/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot={token}"
    assert start(client, token) == redirect(token, auth)


def test_an_app_preset_sandbox_provider_goes_straight_to_the_module(client, tenant):
    token = make_session(client, tenant.test, options={"provider_id": SANDBOX_PROVIDER_ID})
    auth = f"http://testserver/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot={token}"
    assert start(client, token) == redirect(token, auth)


def test_a_provider_without_module_or_adapter_keeps_the_manual_path(client, tenant):
    token = make_session(client, tenant.test)
    start(client, token)
    answer = submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    assert answer["route"] == "tariff_structure_select"


# -- the module's pages ----------------------------------------------------------------------


def test_a_wrong_password_renders_failed_login_and_stores_nothing(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = log_in(client, token, "user_good", "wrong")
    data = {
        "provider": MODULE_PROVIDER,
        "account": ACCOUNT,
        "message": "The login or password is not right.",
    }
    assert answer == page(token, "failed_login", MODULE_ACTIONS, data)
    assert stored_for(database, token) == []
    # Try again: the module starts over.
    again = module(client, token, "start_tariff_integration")
    assert again["route"] == "auth_metadata_capture"


def test_failed_login_takes_only_its_actions(client, tenant):
    token = to_sandbox(client, tenant.test)
    log_in(client, token, "user_good", "wrong")
    refused(client, token, "failed_login", 400, "action_missing", data={})
    refused(client, token, "failed_login", 400, "action_invalid", action="SAVE")


def test_mfa_asks_for_the_code_then_consent(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = log_in(client, token, "user_mfa")
    context = {"channel": "sms", "destination": "+44 ••• ••• 789"}
    data = {"provider": MODULE_PROVIDER, "account": ACCOUNT, "context": context}
    assert answer == page(token, "mfa_capture", MODULE_ACTIONS, data)
    assert stored_for(database, token) == [False]  # kept unconsented for the code
    refused(client, token, "mfa_capture", 400, "otp_code_missing", data={})
    refused(client, token, "mfa_capture", 400, "otp_code_missing", data={"otpCode": 123456})
    answer = module(client, token, "mfa_capture", data={"otpCode": "123456"})
    assert answer["route"] == "consent_capture"
    assert answer["data"]["auth_metadata_id"].startswith("amd_")
    assert stored_for(database, token) == [False]


def test_a_wrong_code_is_a_failed_login_and_forgets_the_credentials(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    log_in(client, token, "user_mfa")
    answer = module(client, token, "mfa_capture", data={"otpCode": "000000"})
    assert answer["route"] == "failed_login"
    assert stored_for(database, token) == []


def test_several_tariffs_to_choose_from(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = log_in(client, token, "user_multi")
    accounts = [
        {"id": "sbx_1", "name": "Sandbox Flex", "description": "Variable, one rate all day"},
        {
            "id": "sbx_2",
            "name": "Sandbox Night Saver",
            "description": "Cheaper from 00:30 to 05:30",
        },
        {"id": "sbx_3", "name": "Sandbox Fixed 12M", "description": "Fixed for twelve months"},
    ]
    data = {"provider": MODULE_PROVIDER, "account": ACCOUNT, "accounts": accounts, "context": {}}
    assert answer == page(token, "multiple_available_tariffs", MODULE_ACTIONS, data)
    refused(client, token, "multiple_available_tariffs", 400, "account_missing", data={})
    refused(
        client,
        token,
        "multiple_available_tariffs",
        400,
        "account_invalid",
        data={"account": "sbx_9"},
    )
    answer = module(client, token, "multiple_available_tariffs", data={"account": "sbx_2"})
    assert answer["route"] == "consent_capture"
    assert stored_for(database, token) == [False]


def test_no_tariffs_then_manual_entry(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = log_in(client, token, "user_none")
    data = {"provider": MODULE_PROVIDER, "account": ACCOUNT}
    assert answer == page(token, "no_available_tariffs", MODULE_ACTIONS, data)
    assert stored_for(database, token) == []
    answer = module(client, token, "no_available_tariffs", action="DISMISS_DIRECT")
    assert answer == redirect(token, back_url(token))
    resumed = start(client, token)
    assert resumed["route"] == "tariff_structure_select"
    assert resumed["data"]["provider"] == SANDBOX_PROVIDER


def test_provider_change_returns_to_the_provider_list(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    log_in(client, token, "user_mfa")
    answer = module(client, token, "mfa_capture", action="PROVIDER_CHANGE")
    assert answer == redirect(token, back_url(token))
    assert stored_for(database, token) == []  # the half-done login is forgotten
    assert start(client, token)["route"] == "provider_select"


def test_dismiss_direct_from_the_login_page(client, tenant):
    token = to_sandbox(client, tenant.test)
    answer = module(client, token, "auth_metadata_capture", action="DISMISS_DIRECT")
    assert answer == redirect(token, back_url(token))
    assert start(client, token)["route"] == "tariff_structure_select"


def test_consent_redirects_back_with_the_remembered_query(client, tenant, database):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER_ID}})
    query = {"lang": "de", "theme": "dark"}
    module(client, token, "start_tariff_integration", data={"query": query})
    module(client, token, "start_tariff_integration")  # try again: the query is kept
    answer = log_in(client, token, "user_pending")
    amd = answer["data"]["auth_metadata_id"]
    data = {"provider": MODULE_PROVIDER, "account": ACCOUNT, "auth_metadata_id": amd}
    assert answer == page(token, "consent_capture", MODULE_ACTIONS, data)
    answer = module(
        client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True}
    )
    assert answer == redirect(token, back_url(token, lang="de", theme="dark"))
    assert stored_for(database, token) == [True]


# -- refusals --------------------------------------------------------------------------------


def test_credentials_not_strings_or_too_large_are_refused(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    route = "auth_metadata_capture"
    refused(client, token, route, 400, "auth_metadata_invalid", data={"login": 1, "password": "x"})
    refused(client, token, route, 400, "auth_metadata_invalid", data={})
    big = {"login": "user_good", "password": "pass_good", "extra": "x" * 4100}
    refused(client, token, route, 400, "auth_metadata_too_large", data=big)
    assert stored_for(database, token) == []
    assert module(client, token, "start_tariff_integration")["route"] == route


def test_a_bad_query_is_refused(client, tenant):
    token = to_sandbox(client, tenant.test)
    refused(
        client, token, "start_tariff_integration", 400, "query_invalid", data={"query": {"a": 1}}
    )


def test_consent_needs_this_sessions_auth_metadata_id_and_a_true_consent(client, tenant, database):
    other = to_sandbox(client, tenant.test)
    foreign = log_in(client, other, "user_good")["data"]["auth_metadata_id"]
    token = to_sandbox(client, tenant.test)
    own = log_in(client, token, "user_good")["data"]["auth_metadata_id"]
    route = "consent_capture"
    refused(client, token, route, 400, "auth_metadata_id_missing", data={"consent_given": True})
    refused(
        client,
        token,
        route,
        400,
        "auth_metadata_id_invalid",
        data={"auth_metadata_id": foreign, "consent_given": True},
    )
    for given in (False, "true", None):
        refused(
            client,
            token,
            route,
            400,
            "consent_given_invalid",
            data={"auth_metadata_id": own, "consent_given": given},
        )
    assert stored_for(database, token) == [False]
    assert stored_for(database, other) == [False]
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert connections(database, session["location_id"]) == 0


def test_a_replayed_consent_is_refused(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    amd = log_in(client, token, "user_pending")["data"]["auth_metadata_id"]
    body = {"auth_metadata_id": amd, "consent_given": True}
    module(client, token, "consent_capture", data=body)
    refused(client, token, "consent_capture", 409, "consent_already_given", data=body)
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    assert connections(database, session["location_id"]) == 1
    assert stored_for(database, token) == [True]


def test_a_module_page_answered_out_of_turn(client, tenant):
    token = to_sandbox(client, tenant.test)
    data = {"auth_metadata_id": "amd_" + "0" * 24, "consent_given": True}
    refused(client, token, "consent_capture", 409, "route_not_current", data=data)


def test_module_routes_on_a_session_without_a_direct_provider(client, tenant, database):
    token = make_session(client, tenant.test)
    start(client, token)
    before = stored(database)
    refused(client, token, "start_tariff_integration", 409, "direct_not_available")
    data = {"login": "user_good", "password": "pass_good"}
    refused(client, token, "auth_metadata_capture", 409, "direct_not_available", data=data)
    refused(
        client, token, "auth_metadata_capture", 409, "direct_not_available", action="DISMISS_DIRECT"
    )
    assert stored(database) == before
    assert start(client, token)["route"] == "provider_select"


def test_module_routes_on_a_completed_session(client, tenant, database):
    token = make_session(client, tenant.test)
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": plain_provider()}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Mine"}})
    assert submit(client, token, "contract_term_capture")["route"] == "tariff_summary"
    before = stored(database)
    refused(client, token, "start_tariff_integration", 409, "connect_session_ended")
    submit(client, token, "tariff_summary", action="CLOSE")  # the customer left: ended
    data = {"login": "user_good", "password": "pass_good"}
    refused(client, token, "auth_metadata_capture", 409, "connect_session_ended", data=data)
    assert stored(database) == before


def test_the_hosted_pages_get_an_absolute_auth_page_url(client, tenant, app):
    """The hosted Connect pages pass a path prefix as base_url; a browser still needs the
    service's own URL to leave for the auth pages."""
    token = make_session(client, tenant.test)
    start(client, token)
    runtime = app.state.runtime
    chosen = FlowRequest(
        route="provider_select",
        connect_token=token,
        type="submit",
        data={"provider": {"id": SANDBOX_PROVIDER_ID}},
    )
    answer = runner.submit(runtime, chosen, base_url="")
    url = f"{runtime.settings.base_url}/connect/auth/{SANDBOX_PROVIDER_ID}?fp_cot={token}"
    assert answer.page["data"] == {"redirect_url": url, "redirect_uri": url}
    assert not answer.ended


def test_without_the_services_settings_module_routes_are_unavailable(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    asked = FlowRequest(route="start_tariff_integration", connect_token=token)
    with pytest.raises(ApiError) as raised:
        runner.submit(database, asked)
    assert (raised.value.status, raised.value.code) == (409, "direct_not_available")
