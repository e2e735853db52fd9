"""Coming back to the same DIRECT provider later in the session: a new login starts afresh
and never touches the credentials of a connection already consented."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tariffconnect.connect.flow.state import Direct, FlowState
from tariffconnect.integrations.models import CONNECTED, DirectConnection
from tests.connect.flow.flow import start, submit
from tests.connect.flow.test_direct_routes import (
    SANDBOX_PROVIDER,
    back_url,
    connections,
    log_in,
    module,
    redirect,
    stored_for,
    to_sandbox,
)
from tests.connect.flow.test_direct_sandbox import consent, session_of

AUTH_PATH = f"/connect/auth/{SANDBOX_PROVIDER['id']}"


def linked(database: Any, location_id: str) -> list[tuple[str, str]]:
    """The location's connections: (status, the credentials' id)."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(DirectConnection.status, DirectConnection.auth_metadata_id).where(
                DirectConnection.location_id == location_id
            )
        )
        return [(status, amd) for status, amd in rows]


def choose_sandbox(client: Any, token: str) -> None:
    answer = submit(
        client, token, "provider_select", data={"provider": {"id": SANDBOX_PROVIDER["id"]}}
    )
    assert answer == redirect(token, f"http://testserver{AUTH_PATH}?fp_cot={token}")


def connected_then_logged_in_again(
    client: Any, tenant: Any, database: Any
) -> tuple[str, str, str, str]:
    """A DIRECT tariff connected, then EDIT and a new login at the same provider: the token,
    the location, the live connection's credentials' id and the new login's."""
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_good")
    location_id = session_of(client, tenant, token)["location_id"]
    ((_, first_amd),) = linked(database, location_id)
    submit(client, token, "tariff_summary", action="EDIT")
    choose_sandbox(client, token)
    module(client, token, "start_tariff_integration")
    second_amd = log_in(client, token, "user_good")["data"]["auth_metadata_id"]
    return token, location_id, first_amd, second_amd


def test_back_from_the_failed_page_drops_the_failed_connection(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_down")
    location_id = session_of(client, tenant, token)["location_id"]
    assert submit(client, token, "tariff_connection_failed", action="BACK")["route"] == (
        "provider_select"
    )
    assert connections(database, location_id) == 0
    assert stored_for(database, token) == []
    assert start(client, token)["route"] == "provider_select"


def test_after_a_failure_and_back_the_same_provider_connects(client, tenant, database):
    token = to_sandbox(client, tenant.test)
    consent(client, token, "user_down")
    location_id = session_of(client, tenant, token)["location_id"]
    submit(client, token, "tariff_connection_failed", action="BACK")
    choose_sandbox(client, token)
    module(client, token, "start_tariff_integration")
    summary = consent(client, token, "user_good")
    assert (summary["route"], summary["data"]["connection_type"]) == ("tariff_summary", "DIRECT")
    assert stored_for(database, token) == [True]
    ((status, _),) = linked(database, location_id)
    assert status == CONNECTED


def test_a_new_login_after_edit_keeps_the_live_connections_credentials(client, tenant, database):
    token, location_id, first_amd, second_amd = connected_then_logged_in_again(
        client, tenant, database
    )
    assert second_amd != first_amd
    # Until the new consent, the live connection keeps its own consented credentials.
    assert linked(database, location_id) == [(CONNECTED, first_amd)]
    assert stored_for(database, token) == [False, True]
    answer = module(
        client,
        token,
        "consent_capture",
        data={"auth_metadata_id": second_amd, "consent_given": True},
    )
    assert answer == redirect(token, back_url(token))
    assert start(client, token)["route"] == "tariff_summary"
    assert linked(database, location_id) == [(CONNECTED, second_amd)]
    assert stored_for(database, token) == [True]


def test_dismissing_a_new_login_after_edit_leaves_the_live_connection(client, tenant, database):
    token, location_id, first_amd, _ = connected_then_logged_in_again(client, tenant, database)
    answer = module(client, token, "consent_capture", action="DISMISS_DIRECT")
    assert answer == redirect(token, back_url(token))
    assert linked(database, location_id) == [(CONNECTED, first_amd)]
    assert stored_for(database, token) == [True]


def test_a_login_stored_with_the_dropped_failed_field_still_loads():
    raw = {"route": "tariff_connection_failed", "direct": {"provider_id": "prv_x", "failed": True}}
    assert FlowState.load(raw).direct == Direct(provider_id="prv_x")
