"""Each Sandbox Energy scenario through the JSON protocol, from the provider list to the page
the main front end shows after the first pull, and the actions of the pending and failed
pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tariffconnect.integrations import models
from tariffconnect.integrations.models import CONNECTED, DirectConnection
from tests.connect.flow.flow import CALLBACK, start, submit
from tests.connect.flow.test_direct_routes import (
    SANDBOX_PROVIDER,
    back_url,
    connections,
    log_in,
    module,
    page,
    redirect,
    stored_for,
    to_sandbox,
)

PENDING, FAILED = "tariff_connection_pending", "tariff_connection_failed"
PENDING_ACTIONS = ["SAVE", "DISCONNECT", "DISMISS_DIRECT", "CLOSE"]
FAILED_ACTIONS = ["RECONNECT", "EDIT", "DISCONNECT", "BACK", "CLOSE"]


def consent(client: Any, token: str, login: str) -> dict[str, Any]:
    """Log in as `login`, consent, and answer the return to the main front end."""
    amd = log_in(client, token, login)["data"]["auth_metadata_id"]
    answer = module(
        client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True}
    )
    assert answer == redirect(token, back_url(token))
    return start(client, token)


def session_of(client: Any, tenant: Any, token: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/connect/{token}", headers=tenant.test).json()
    return found


def tariffs_of(client: Any, tenant: Any, location_id: str) -> list[dict[str, Any]]:
    answer = client.get("/tariffs", params={"location_id": location_id}, headers=tenant.test)
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


def connection(database: Any, location_id: str) -> tuple[str, str | None] | None:
    with database.transaction(write=False) as session:
        row = session.scalars(
            select(DirectConnection).where(DirectConnection.location_id == location_id)
        ).first()
        return None if row is None else (row.status, row.last_error)


def callback(token: str) -> dict[str, Any]:
    return redirect(token, f"{CALLBACK}&fp_cot={token}")


def test_user_good_ends_on_the_summary_of_a_direct_tariff(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    summary = consent(client, token, "user_good")
    assert summary["route"] == "tariff_summary"
    assert summary["actions"] == ["EDIT", "WRONG_TARIFF", "DISCONNECT", "BACK", "CLOSE"]
    assert summary["data"]["connection_type"] == "DIRECT"
    assert summary["data"]["provider"] == SANDBOX_PROVIDER
    assert summary["data"]["tariff"]["structure_type"] == "TIME_OF_DAY"
    session = session_of(client, tenant, token)
    assert (session["status"], session["provider_id"]) == ("COMPLETED", SANDBOX_PROVIDER["id"])
    (tariff,) = [t for t in tariffs_of(client, tenant, session["location_id"])]
    assert (tariff["connection_type"], tariff["is_linked"]) == ("DIRECT", True)
    assert connection(database, session["location_id"]) == (CONNECTED, None)
    assert stored_for(database, token) == [True]
    # Shown again, it stays the summary (the session completed once).
    assert start(client, token)["route"] == "tariff_summary"
    assert submit(client, token, "tariff_summary", action="CLOSE") == callback(token)


def test_the_summarys_disconnect_removes_the_connection_and_credentials(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_good")
    location_id = session_of(client, tenant, token)["location_id"]
    assert submit(client, token, "tariff_summary", action="DISCONNECT") == callback(token)
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []
    assert tariffs_of(client, tenant, location_id) == []


def test_editing_a_direct_tariff_into_a_manual_one_ends_the_connection(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_good")
    location_id = session_of(client, tenant, token)["location_id"]
    submit(client, token, "tariff_summary", action="EDIT")
    submit(client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER["id"]}})
    module(client, token, "auth_metadata_capture", action="DISMISS_DIRECT")
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    submit(client, token, "tariff_name_capture", data={"tariff": {"name": "Typed"}})
    summary = submit(client, token, "contract_term_capture")
    assert summary["data"]["connection_type"] == "MANUAL"
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []


def test_user_mfa_connects_with_the_code(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    assert log_in(client, token, "user_mfa")["route"] == "mfa_capture"
    amd = module(client, token, "mfa_capture", data={"otpCode": "123456"})["data"][
        "auth_metadata_id"
    ]
    module(client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True})
    assert start(client, token)["data"]["connection_type"] == "DIRECT"


def test_user_multi_connects_the_chosen_tariff(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    assert log_in(client, token, "user_multi")["route"] == "multiple_available_tariffs"
    amd = module(client, token, "multiple_available_tariffs", data={"account": "sbx_3"})["data"][
        "auth_metadata_id"
    ]
    module(client, token, "consent_capture", data={"auth_metadata_id": amd, "consent_given": True})
    summary = start(client, token)
    assert (summary["route"], summary["data"]["connection_type"]) == ("tariff_summary", "DIRECT")


def test_user_pending_waits_then_save_completes(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = consent(client, token, "user_pending")
    assert answer == page(
        token, "tariff_connection_pending", PENDING_ACTIONS, {"provider": SANDBOX_PROVIDER}
    )
    session = session_of(client, tenant, token)
    assert session["status"] == "IN_PROGRESS"
    assert connection(database, session["location_id"]) == (models.PENDING, None)
    assert submit(client, token, "tariff_connection_pending", action="SAVE") == callback(token)
    session = session_of(client, tenant, token)
    assert session["status"] == "COMPLETED"
    assert connection(database, session["location_id"]) == (models.PENDING, None)  # still refreshed


def test_the_pending_page_has_no_back(client, tenant):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_pending")
    answer = submit(client, token, "tariff_connection_pending", action="BACK", status=400)
    assert answer["code"] == "action_invalid"
    answer = submit(client, token, "tariff_connection_pending", status=400)
    assert answer["code"] == "action_missing"


def test_pending_disconnect_removes_everything(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_pending")
    location_id = session_of(client, tenant, token)["location_id"]
    answer = submit(client, token, "tariff_connection_pending", action="DISCONNECT")
    assert answer == callback(token)
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []
    assert session_of(client, tenant, token)["status"] == "COMPLETED"


def test_pending_dismiss_direct_goes_manual(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_pending")
    location_id = session_of(client, tenant, token)["location_id"]
    answer = submit(client, token, "tariff_connection_pending", action="DISMISS_DIRECT")
    assert answer["route"] == "tariff_structure_select"
    assert connections(database, location_id) == 0


def test_user_down_fails_and_offers_its_actions(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    answer = consent(client, token, "user_down")
    data = {"provider": SANDBOX_PROVIDER, "connection_type": "DIRECT"}
    assert answer == page(token, "tariff_connection_failed", FAILED_ACTIONS, data)
    location_id = session_of(client, tenant, token)["location_id"]
    unreachable = "sandbox: the provider is unreachable"
    assert connection(database, location_id) == (models.PENDING, unreachable)
    # RECONNECT: log in again at the module; the failed connection is gone.
    auth = f"http://testserver/connect/auth/{SANDBOX_PROVIDER['id']}?fp_cot={token}"
    answer = submit(client, token, "tariff_connection_failed", action="RECONNECT")
    assert answer == redirect(token, auth)
    assert connections(database, location_id) == 0
    assert module(client, token, "start_tariff_integration")["route"] == "auth_metadata_capture"


def test_failed_edit_goes_to_the_provider_list(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_down")
    location_id = session_of(client, tenant, token)["location_id"]
    answer = submit(client, token, "tariff_connection_failed", action="EDIT")
    assert answer["route"] == "provider_select"
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []


def test_failed_disconnect_completes_the_session(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_down")
    location_id = session_of(client, tenant, token)["location_id"]
    answer = submit(client, token, "tariff_connection_failed", action="DISCONNECT")
    assert answer == callback(token)
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []
    assert session_of(client, tenant, token)["status"] == "COMPLETED"


def test_failed_back_returns_to_the_provider_list(client, tenant):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_down")
    answer = submit(client, token, "tariff_connection_failed", action="BACK")
    assert answer["route"] == "provider_select"


def test_user_expire_connects(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    summary = consent(client, token, "user_expire")
    assert (summary["route"], summary["data"]["tariff"]["structure_type"]) == (
        "tariff_summary",
        "FIXED",
    )
    location_id = session_of(client, tenant, token)["location_id"]
    assert connection(database, location_id) == (CONNECTED, None)


def test_a_session_without_a_location_creates_it_at_consent(client, tenant, database):
    body = {
        "connect_url": "https://app.example.com/connect",
        "callback_url": CALLBACK,
        "postal_address": {
            "address_line1": "1 High Street",
            "city": "London",
            "post_code": "SW1A 1AA",
            "country_code": "GB",
        },
    }
    response = client.post("/connect/sessions", json=body, headers=tenant.test)
    assert response.status_code == 200, response.text
    token = response.json()["connect_token"]
    assert start(client, token)["route"] == "provider_select"
    submit(client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER["id"]}})
    module(client, token, "start_tariff_integration")
    summary = consent(client, token, "user_good")
    assert summary["data"]["connection_type"] == "DIRECT"
    location_id = session_of(client, tenant, token)["location_id"]
    assert location_id is not None
    assert connections(database, location_id) == 1


@pytest.mark.parametrize(("login", "route"), [("user_pending", PENDING), ("user_down", FAILED)])
def test_close_leaves_for_the_callback(client, tenant, login, route):
    token = to_sandbox(client, tenant.test)
    assert consent(client, token, login)["route"] == route
    assert submit(client, token, route, action="CLOSE") == callback(token)


@pytest.mark.parametrize(
    ("login", "route"),
    [
        ("user_good", "consent_capture"),
        ("user_mfa", "mfa_capture"),
        ("user_multi", "multiple_available_tariffs"),
    ],
)
def test_dismiss_direct_from_any_module_page_forgets_the_login(
    client, tenant, database, login, route
):
    token = to_sandbox(client, tenant.test)
    assert log_in(client, token, login)["route"] == route
    answer = module(client, token, route, action="DISMISS_DIRECT")
    assert answer == redirect(token, back_url(token))
    assert stored_for(database, token) == []
    assert start(client, token)["route"] == "tariff_structure_select"
