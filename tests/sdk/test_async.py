"""AsyncClient has Client's surface and behaviour, against the same real server."""

from __future__ import annotations

import asyncio
import inspect
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tariffconnect_client import (
    AsyncClient,
    Client,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    WebhookVerificationError,
    async_resources,
    models,
    resources,
)
from tests.sdk.conftest import LONDON
from tests.sdk.scripted import CUSTOMER, Answer, Scripted, error_object
from tests.sdk.test_webhooks import delivered
from tests.tariffs.support import flat
from tests.webhooks.receiver import Receiver

# anyio's pytest plugin (anyio comes with httpx) runs the coroutine tests, on asyncio.
pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_sync_resource_has_an_async_twin_with_the_same_methods_and_arguments():
    pairs = [
        (getattr(resources, name), getattr(async_resources, name))
        for name, cls in vars(resources).items()
        if inspect.isclass(cls) and cls.__module__ == resources.__name__
    ]
    assert len(pairs) >= 18
    for sync, twin in pairs:
        assert public(sync).keys() == public(twin).keys(), sync
        for name, signature in public(sync).items():
            assert list(signature.parameters) == list(public(twin)[name].parameters), name
    sync_client = Client(account_id="acc_x", api_key="k", base_url="http://127.0.0.1:9")
    async_client = AsyncClient(account_id="acc_x", api_key="k", base_url="http://127.0.0.1:9")
    resource_names = {name for name, value in vars(sync_client).items() if not name.startswith("_")}
    assert resource_names == {
        name for name, value in vars(async_client).items() if not name.startswith("_")
    }
    assert {"locations", "connect", "prices", "webhooks", "webhook_endpoints"} <= resource_names


async def test_the_end_to_end_flow_asynchronously(account):
    async with account.async_client() as client:
        assert (await client.account.retrieve()).id == account.account_id
        ids = [(await client.locations.create(postal_address=LONDON)).id for _ in range(5)]
        listed = [location.id async for location in client.locations.list(limit=2)]
        assert listed == ids[::-1]
        assert await client.locations.retrieve(ids[0]) == await client.locations.retrieve(ids[0])

        session = await client.connect.create(
            location_id=ids[0],
            connect_url="https://app.example.com/connect",
            callback_url="https://app.example.com/done",
        )
        assert (session.location_id, session.status) == (ids[0], "CREATED")

        await client.tariffs.create(location_id=ids[0], schedule=flat(0.3))
        start = datetime(2026, 6, 1, 10, tzinfo=UTC)
        prices = await client.prices.retrieve(
            location_id=ids[0], start_time=start, end_time=start + timedelta(hours=1)
        )
        assert prices.data == [
            models.PriceInterval(
                valid_from="2026-06-01T10:00:00Z",
                valid_to="2026-06-01T11:00:00Z",
                price=models.PriceValue(value=0.3, confidence=1.0),
            )
        ]

        with pytest.raises(InvalidRequestError) as raised:
            await client.customers.create(colour="red")
        assert raised.value.code == "colour_unknown"
        deleted = await client.locations.delete(ids[1])
        assert deleted.deleted is True
        with pytest.raises(NotFoundError) as missing:
            await client.locations.retrieve(ids[1])
        assert missing.value.code == "location_not_found"


async def test_concurrent_calls_log_in_once(account):
    logins: list[str] = []

    async def hook(request: httpx.Request) -> None:
        if request.url.path == "/login":
            logins.append(request.url.path)

    http = httpx.AsyncClient(event_hooks={"request": [hook]})
    async with account.async_client(http_client=http) as client:
        answers = await asyncio.gather(*(client.account.retrieve() for _ in range(5)))
    await http.aclose()
    assert {answer.id for answer in answers} == {account.account_id}
    assert logins == ["/login"]


async def test_retries_and_typed_errors_asynchronously():
    server = Scripted(
        Answer(429, error_object("rate_limited", 429), {"Retry-After": "0"}),
        Answer(429, error_object("rate_limited", 429), {"Retry-After": "1"}),
        Answer(201, CUSTOMER),
    )
    try:
        client = AsyncClient(
            account_id="acc_0123456789abcdef01234567",
            api_key="sk_test_key",
            base_url=server.base_url,
            max_retries=0,
        )
        with pytest.raises(RateLimitError) as raised:
            await client.customers.create(reference_id="r")
        assert (raised.value.status, raised.value.code) == (429, "rate_limited")
        client = AsyncClient(
            account_id="acc_0123456789abcdef01234567",
            api_key="sk_test_key",
            base_url=server.base_url,
        )
        assert (await client.customers.create(reference_id="r")).id == CUSTOMER["id"]
        calls = server.calls()
        assert calls[1].headers["Idempotency-Key"] == calls[2].headers["Idempotency-Key"]
        assert calls[2].at - calls[1].at >= 1.0
    finally:
        server.stop()


async def recorded_attempts(client: AsyncClient, endpoint_id: str, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while True:
        attempts = [a async for a in client.webhook_endpoints.deliveries(endpoint_id)]
        if attempts or time.monotonic() > deadline:
            return attempts
        await asyncio.sleep(0.05)


async def test_webhooks_verify_asynchronously(account):
    receiver = Receiver().start()
    try:
        async with account.async_client() as client:
            endpoint = await client.webhook_endpoints.create(
                url=receiver.url, enabled_events=["location.create"]
            )
            location = await client.locations.create(postal_address=LONDON)
            (received,) = await asyncio.to_thread(delivered, receiver, 1)
            event = await client.webhooks.verify(
                received.headers, received.body, secret=endpoint.secret
            )
            assert (event.type, event.data["id"]) == ("location.create", location.id)
            assert client.jwks.fetches == 1
            with pytest.raises(WebhookVerificationError, match="does not match"):
                await client.webhooks.verify(received.headers, received.body + b" ")
            # The receiver answers before the worker records the attempt: wait for the record.
            attempts = await recorded_attempts(client, endpoint.id)
            assert [a.http_status for a in attempts] == [200]
    finally:
        receiver.stop()
