"""Retries and error mapping: 429 and 503 retried honouring Retry-After with the same
Idempotency-Key, everything else raised at once as the typed exception of its status.

The answers a healthy server does not give on demand come from a tiny scripted HTTP server;
the rate limit itself comes from a real `tariffconnect serve` with a low limit.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tariffconnect_client import (
    APIError,
    Client,
    NotFoundError,
    RateLimitError,
    ServerError,
    models,
)
from tests.e2e.server import Server
from tests.sdk.conftest import operator, serving
from tests.sdk.scripted import CUSTOMER, Answer, Scripted, error_object

pytestmark = pytest.mark.e2e


def sdk(server: Scripted, **options: object) -> Client:
    return Client(
        account_id="acc_0123456789abcdef01234567",
        api_key="sk_test_key",
        base_url=server.base_url,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    servers: list[Scripted] = []
    yield servers
    for server in servers:
        server.stop()


def serve(servers: list[Scripted], *answers: Answer) -> Scripted:
    server = Scripted(*answers)
    servers.append(server)
    return server


def test_429_waits_what_retry_after_says_and_resends_the_same_idempotency_key(scripted):
    server = serve(
        scripted,
        Answer(429, error_object("rate_limited", 429), {"Retry-After": "1"}),
        Answer(201, CUSTOMER),
    )
    customer = sdk(server).customers.create(reference_id="r")
    assert customer == models.Customer.model_validate(CUSTOMER)
    first, second = server.calls()
    assert (first.method, first.path, second.path) == ("POST", "/customers", "/customers")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert second.at - first.at >= 1.0


def test_retry_after_as_an_http_date_is_honoured(scripted):
    later = email.utils.formatdate(time.time() + 3, usegmt=True)
    server = serve(
        scripted,
        Answer(503, error_object("database_unavailable", 503), {"Retry-After": later}),
        Answer(200, CUSTOMER),
    )
    assert sdk(server).customers.retrieve(CUSTOMER["id"]).id == CUSTOMER["id"]
    first, second = server.calls()
    # The date has whole seconds: of the three, at least two are left when it is read.
    assert second.at - first.at >= 1.9


def test_503_without_retry_after_backs_off_then_succeeds(scripted):
    server = serve(
        scripted,
        Answer(503, error_object("database_unavailable", 503)),
        Answer(503, error_object("database_unavailable", 503)),
        Answer(200, CUSTOMER),
    )
    assert sdk(server).customers.retrieve(CUSTOMER["id"]).id == CUSTOMER["id"]
    first, second, third = server.calls()
    # Half a second, then one, each with at most a quarter of jitter either way.
    assert second.at - first.at >= 0.375
    assert third.at - second.at >= 0.75


def test_retries_used_up_raise_rate_limit_error_with_the_servers_fields(scripted):
    limited = Answer(429, error_object("rate_limited", 429), {"Retry-After": "0"})
    server = serve(scripted, limited, limited, limited)
    with pytest.raises(RateLimitError) as raised:
        sdk(server, max_retries=2).customers.list().__next__()
    error = raised.value
    assert (error.status, error.code, error.message) == (
        429,
        "rate_limited",
        "scripted rate_limited",
    )
    assert error.request_id == "req_0123456789abcdef01234567"
    assert len(server.calls()) == 3


def test_a_retry_after_beyond_a_minute_is_not_waited_for(scripted):
    server = serve(scripted, Answer(429, error_object("rate_limited", 429), {"Retry-After": "600"}))
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        sdk(server).customers.create(reference_id="r")
    assert time.monotonic() - started < 5
    assert len(server.calls()) == 1


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(418, "teapot", APIError), (500, "internal_error", ServerError), (404, "gone", NotFoundError)],
)
def test_an_error_object_is_the_typed_exception_whatever_the_status(scripted, status, code, kind):
    server = serve(scripted, Answer(status, error_object(code, status)))
    with pytest.raises(APIError) as raised:
        sdk(server).customers.retrieve(CUSTOMER["id"])
    assert type(raised.value) is kind
    assert (raised.value.status, raised.value.code) == (status, code)
    assert len(server.calls()) == 1  # neither is retried


def test_an_answer_without_an_error_object_is_an_unexpected_response(scripted):
    page = b"<html><body>502 Bad Gateway</body></html>"
    server = serve(scripted, Answer(502, raw=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(ServerError) as raised:
        sdk(server).customers.retrieve(CUSTOMER["id"])
    assert (raised.value.status, raised.value.code) == (502, "unexpected_response")
    assert raised.value.request_id is None
    assert raised.value.body == page.decode()


@pytest.fixture(scope="module")
def rate_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(
        tmp_path_factory.mktemp("sdk-rate-limited"),
        TARIFFCONNECT_WORKER_IN_PROCESS="false",
        TARIFFCONNECT_RATE_LIMIT_API="2/second",
    ) as server:
        yield server


def test_the_services_own_rate_limit_is_waited_out(rate_limited):
    created = json.loads(operator(rate_limited, "account", "create", "--json"))
    statuses: list[int] = []
    http = httpx.Client(event_hooks={"response": [lambda r: statuses.append(r.status_code)]})
    client = Client(
        account_id=created["account_id"],
        api_key=created["test_api_key"],
        base_url=rate_limited.base,
        http_client=http,
    )
    accounts = [client.account.retrieve().id for _ in range(6)]
    assert accounts == [created["account_id"]] * 6
    # The login, then six reads at two a second: some were refused, and each was retried.
    assert statuses.count(429) >= 1
    assert statuses.count(200) == 7
    assert set(statuses) == {200, 429}
