"""What a front end calls: one submit in its own transaction (`runner`), answering the page
and the session's callback URL; the hosted pages build their request from the currency."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tariffconnect.connect.flow import runner
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.core.errors import ApiError
from tests.connect.flow.flow import CALLBACK, make_session


def resume(token):
    return FlowRequest(route="session_start", connect_token=token, type="submit")


def status(client, tenant, token):
    return client.get(f"/connect/{token}", headers=tenant.test).json()["status"]


def test_submit_answers_the_page_and_the_callback_url(client, database, tenant):
    token = make_session(client, tenant.test)
    answer = runner.submit(database, resume(token))
    assert (answer.route, answer.page["connect_token"]) == ("provider_select", token)
    assert answer.callback_url == CALLBACK
    assert status(client, tenant, token) == "IN_PROGRESS"


def test_submit_form_builds_the_request_from_the_sessions_currency(client, database, tenant):
    token = make_session(client, tenant.test)
    asked: list[str | None] = []

    def request_for(currency_code):
        asked.append(currency_code)
        return resume(token)

    answer = runner.submit_form(database, token, request_for)
    assert asked == ["GBP"]
    assert answer is not None and answer.route == "provider_select"


def test_submit_form_that_asks_nothing_changes_nothing(client, database, tenant):
    token = make_session(client, tenant.test)
    assert runner.submit_form(database, token, lambda _currency: None) is None
    assert status(client, tenant, token) == "CREATED"


def test_an_unknown_token_is_404_before_anything_is_built(database):
    def request_for(_currency):
        raise AssertionError("not asked for a session that does not exist")

    with pytest.raises(ApiError) as raised:
        runner.submit_form(database, "cot_" + "0" * 24, request_for)
    assert (raised.value.status, raised.value.code) == (404, "connect_token_invalid")


@pytest.mark.parametrize(
    "outage",
    [OperationalError("SELECT 1", {}, Exception("connection refused")), PoolTimeout("full")],
)
def test_a_database_outage_is_the_503_apierror(database, monkeypatch, outage):
    def down(*, write=True):
        raise outage

    monkeypatch.setattr(database, "transaction", down)
    with pytest.raises(ApiError) as raised:
        runner.submit(database, resume("cot_" + "0" * 24))
    error = raised.value
    assert (error.status, error.code, error.type) == (503, "database_unavailable", "api_error")
