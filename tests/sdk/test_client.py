"""The synchronous Client against a real `tariffconnect serve`: login, resources, pages, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tariffconnect_client import (
    APIConnectionError,
    AuthenticationError,
    Client,
    InvalidRequestError,
    NotFoundError,
    UnprocessableError,
    _core,
    models,
)
from tests.e2e.server import free_port
from tests.sdk.conftest import LONDON, TOKEN_TTL_SECONDS, Account
from tests.tariffs.support import flat

pytestmark = pytest.mark.e2e


class Recorder:
    """The requests an SDK client sent, as the httpx client it was given saw them."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    @property
    def paths(self) -> list[str]:
        return [f"{request.method} {request.url.path}" for request in self.requests]

    def client(self, account: Account, **options: object) -> Client:
        http = httpx.Client(event_hooks={"request": [self]})
        return account.client(http_client=http, **options)


def test_logs_in_once_and_again_just_before_the_token_expires(account, monkeypatch):
    recorder = Recorder()
    client = recorder.client(account)
    first = client.account.retrieve()
    assert first == models.Account(
        id=account.account_id,
        object="account",
        name="Default",
        live_mode=False,
        time_created=first.time_created,
    )
    client.account.retrieve()
    assert recorder.paths == ["GET /login", "GET /account", "GET /account"]
    assert recorder.requests[0].headers["Authorization"].startswith("Basic ")
    assert recorder.requests[1].headers["Authorization"].startswith("Bearer ")

    # A 60 s token is replaced once less than a tenth of its life (6 s) is left.
    real = time.monotonic
    monkeypatch.setattr(_core.time, "monotonic", lambda: real() + TOKEN_TTL_SECONDS - 7)
    client.account.retrieve()
    assert recorder.paths[3:] == ["GET /account"]
    monkeypatch.setattr(_core.time, "monotonic", lambda: real() + TOKEN_TTL_SECONDS - 5)
    client.account.retrieve()
    assert recorder.paths[4:] == ["GET /login", "GET /account"]


def test_a_token_the_server_refuses_is_replaced_once_and_the_call_succeeds(account):
    recorder = Recorder()
    client = recorder.client(account)
    client.login()
    client._token.value = "not-a-token"
    assert client.account.retrieve().id == account.account_id
    assert recorder.paths == ["GET /login", "GET /account", "GET /login", "GET /account"]


def test_wrong_key_raises_authentication_error_with_the_servers_code(account):
    client = Client(
        account_id=account.account_id, api_key="sk_test_" + "0" * 32, base_url=account.base_url
    )
    with pytest.raises(AuthenticationError) as raised:
        client.locations.list().__next__()
    error = raised.value
    assert (error.status, error.code, error.type) == (401, "credentials_invalid", "invalid_request")
    assert error.request_id.startswith("req_")
    assert error.request_id == error.headers["request-id"]
    assert error.context == "api.login"


def test_create_retrieve_update_delete_a_location(client):
    created = client.locations.create(postal_address=LONDON, reference_id="site-1")
    assert isinstance(created, models.Location)
    assert created.id.startswith("loc_")
    assert (created.reference_id, created.currency_code, created.timezone) == (
        "site-1",
        "GBP",
        "Europe/London",
    )
    assert created.postal_address.post_code == "SW1A 2AA"
    assert client.locations.retrieve(created.id) == created

    updated = client.locations.update(created.id, reference_id="site-2")
    assert updated.reference_id == "site-2"
    assert updated.id == created.id

    deleted = client.locations.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(NotFoundError) as raised:
        client.locations.retrieve(created.id)
    assert (raised.value.status, raised.value.code) == (404, "location_not_found")
    assert raised.value.context == "api.location_retrieve"


def test_list_iterates_every_page_newest_first(account):
    recorder = Recorder()
    client = recorder.client(account)
    ids = [client.locations.create(postal_address=LONDON).id for _ in range(7)]
    del recorder.requests[:]

    listed = [location.id for location in client.locations.list(limit=3)]
    assert listed == ids[::-1]
    pages = [request.url.params for request in recorder.requests]
    assert [dict(params) for params in pages] == [
        {"limit": "3"},
        {"limit": "3", "starting_after": ids[4]},
        {"limit": "3", "starting_after": ids[1]},
    ]
    # A starting point and a filter are passed through.
    assert [loc.id for loc in client.locations.list(limit=2, starting_after=ids[3])] == ids[2::-1]
    assert list(client.customers.list()) == []


def test_every_post_carries_an_idempotency_key_and_a_given_one_replays(account):
    recorder = Recorder()
    client = recorder.client(account)
    first = client.customers.create(reference_id="a")
    second = client.customers.create(reference_id="a")
    keys = [r.headers.get("Idempotency-Key") for r in recorder.requests if r.method == "POST"]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert all(key.startswith("tcc_") and len(key) == 36 for key in keys)
    assert first.id != second.id

    once = client.customers.create(reference_id="b", idempotency_key="order-77")
    again = client.customers.create(reference_id="b", idempotency_key="order-77")
    assert again == once
    assert recorder.requests[-1].headers["Idempotency-Key"] == "order-77"
    assert [c.reference_id for c in client.customers.list()] == ["b", "a", "a"]

    with pytest.raises(UnprocessableError) as raised:
        client.customers.create(reference_id="c", idempotency_key="order-77")
    assert raised.value.code == "idempotency_key_reused"


def test_invalid_input_raises_invalid_request_error_with_the_field_code(client):
    with pytest.raises(InvalidRequestError) as raised:
        client.locations.create(postal_address=LONDON, colour="red")
    assert (raised.value.status, raised.value.code) == (400, "colour_unknown")
    with pytest.raises(InvalidRequestError) as raised:
        client.locations.create()
    assert raised.value.code == "postal_address_missing"
    assert list(client.locations.list()) == []


def test_prices_for_a_location_with_a_tariff(client):
    location = client.locations.create(postal_address=LONDON)
    start = datetime(2026, 6, 1, 10, tzinfo=UTC)
    with pytest.raises(UnprocessableError) as raised:
        client.prices.retrieve(
            location_id=location.id, start_time=start, end_time=start + timedelta(hours=1)
        )
    assert raised.value.code == "no_tariff_connected"

    tariff = client.tariffs.create(location_id=location.id, schedule=flat(0.25))
    assert isinstance(tariff, models.Tariff)
    prices = client.prices.retrieve(
        location_id=location.id, start_time=start, end_time=start + timedelta(hours=2)
    )
    assert isinstance(prices, models.Price)
    assert (prices.location_id, prices.currency_code, prices.tariff_direction) == (
        location.id,
        "GBP",
        "IMPORT",
    )
    assert prices.data == [
        models.PriceInterval(
            valid_from="2026-06-01T10:00:00Z",
            valid_to="2026-06-01T12:00:00Z",
            price=models.PriceValue(value=0.25, confidence=1.0),
        )
    ]

    with pytest.raises(ValueError, match="no UTC offset"):
        client.prices.retrieve(location_id=location.id, end_time=datetime(2026, 6, 1, 12))


def test_a_connect_session_and_its_hosted_link(client):
    location = client.locations.create(postal_address=LONDON)
    session = client.connect.create(
        location_id=location.id,
        connect_url="https://app.example.com/connect",
        callback_url="https://app.example.com/done",
    )
    assert isinstance(session, models.ConnectSession)
    assert session.id.startswith("cot_")
    assert (session.location_id, session.status) == (location.id, "CREATED")
    assert client.connect.retrieve(session.id) == session
    page = httpx.get(f"{client.base_url}/connect/web", params={"fp_cot": session.id})
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]


def test_no_server_raises_connection_error_after_the_retries(account):
    client = Client(
        account_id=account.account_id,
        api_key=account.api_key,
        base_url=f"http://127.0.0.1:{free_port()}",
        max_retries=1,
    )
    with pytest.raises(APIConnectionError, match="no answer from the API"):
        client.account.retrieve()


def test_an_id_is_quoted_whole_so_it_never_reaches_another_path(account):
    recorder = Recorder()
    client = recorder.client(account)
    with pytest.raises(NotFoundError) as raised:
        client.locations.retrieve("../account")
    assert recorder.requests[-1].url.raw_path == b"/locations/..%2Faccount"
    assert (raised.value.status, raised.value.code) == (404, "route_not_found")


def test_neither_the_key_nor_the_token_shows_in_a_repr(account):
    client = account.client()
    client.login()
    assert client._token.value
    shown = repr(client._settings) + repr(client._token)
    assert account.api_key not in shown
    assert client._token.value not in shown
    assert account.account_id in shown
