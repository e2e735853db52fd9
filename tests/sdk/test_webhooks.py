"""verify_webhook on deliveries the service's worker really sent to a real HTTP receiver.

Both schemes, a tampered body, timestamps either side of five minutes, a rotated key (an
unknown `kid` makes the cache fetch the JWKS again) and a JWKS that cannot be fetched, which
refuses the delivery rather than accepting it unverified.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tariffconnect_client import WebhookVerificationError, models, verify_webhook
from tests.e2e.server import free_port
from tests.sdk.conftest import LONDON, operator
from tests.sdk.scripted import Answer, Scripted
from tests.webhooks.receiver import Received, Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def delivered(receiver: Receiver, count: int, timeout: float = 30) -> list[Received]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with receiver.lock:
            if len(receiver.received) >= count:
                return list(receiver.received)
        time.sleep(0.05)
    raise AssertionError(f"{len(receiver.received)} of {count} deliveries arrived")


@pytest.fixture
def delivery(client, receiver):
    """One real delivery of `location.create`, the endpoint's secret and the location id."""
    endpoint = client.webhook_endpoints.create(url=receiver.url, enabled_events=["location.create"])
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    location = client.locations.create(postal_address=LONDON)
    (received,) = delivered(receiver, 1)
    return received, endpoint.secret, location


def test_both_schemes_verify_a_real_delivery(client, delivery):
    received, secret, location = delivery
    event = client.webhooks.verify(received.headers, received.body, secret=secret)
    assert isinstance(event, models.Event)
    assert (event.type, event.data["id"], event.live_mode) == (
        "location.create",
        location.id,
        False,
    )
    assert event.id.startswith("evt_")
    assert client.events.retrieve(event.id) == event

    # The package-level function, each scheme on its own, with headers in any case.
    capitalised = {key.title(): value for key, value in received.headers.items()}
    assert verify_webhook(capitalised, received.body, secret=secret) == event
    assert verify_webhook(received.headers, received.body, jwks_url=client.jwks_url) == event


def test_a_tampered_body_is_refused_by_each_scheme(client, delivery):
    received, secret, _ = delivery
    tampered = received.body.replace(b"location.create", b"location.delete")
    with pytest.raises(WebhookVerificationError, match="webhook-signature does not match"):
        verify_webhook(received.headers, tampered, secret=secret)
    with pytest.raises(WebhookVerificationError, match="Flatpeak signature does not match"):
        client.webhooks.verify(received.headers, tampered)
    other_secret = "whsec_" + "A" * 43 + "="
    with pytest.raises(WebhookVerificationError, match="webhook-signature does not match"):
        verify_webhook(received.headers, received.body, secret=other_secret)


def test_a_timestamp_over_five_minutes_old_is_refused(client, delivery):
    received, secret, _ = delivery
    sent = int(received.headers["flatpeak-timestamp"])
    assert int(received.headers["webhook-timestamp"]) == sent
    for now in (sent + 299, sent - 299):
        client.webhooks.verify(received.headers, received.body, secret=secret, now=now)
    for now in (sent + 301, sent - 301):
        with pytest.raises(WebhookVerificationError, match="more than 5 minutes"):
            verify_webhook(received.headers, received.body, secret=secret, now=now)
        with pytest.raises(WebhookVerificationError, match="more than 5 minutes"):
            client.webhooks.verify(received.headers, received.body, now=now)


def test_a_rotated_key_is_fetched_when_a_delivery_names_it(served, client, receiver):
    client.webhook_endpoints.create(url=receiver.url, enabled_events=["location.create"])
    client.locations.create(postal_address=LONDON)
    (first,) = delivered(receiver, 1)
    client.webhooks.verify(first.headers, first.body)
    client.webhooks.verify(first.headers, first.body)
    assert client.jwks.fetches == 1  # cached

    operator(served, "webhook-key", "rotate")
    # A running worker keeps signing with the key it loaded at start-up (see the report of
    # issue 19's SDK part): restarted, it signs with the new one.
    served.stop()
    served.start()
    client.locations.create(postal_address=LONDON)
    second = delivered(receiver, 2)[1]
    assert second.headers["flatpeak-key-id"] != first.headers["flatpeak-key-id"]
    assert client.webhooks.verify(second.headers, second.body).type == "location.create"
    assert client.jwks.fetches == 2
    # The old key is still published, and the refreshed cache still holds it.
    client.webhooks.verify(first.headers, first.body)
    assert client.jwks.fetches == 2


def test_a_kid_nobody_published_is_refused_after_one_fetch(client, delivery):
    received, _, _ = delivery
    forged = received.headers | {"flatpeak-key-id": "wsk_000000000000000000000000"}
    with pytest.raises(WebhookVerificationError, match="no published key"):
        client.webhooks.verify(forged, received.body)
    assert client.jwks.fetches == 1


def test_jwks_that_cannot_be_fetched_never_accepts_a_delivery(delivery):
    received, _, _ = delivery
    closed = f"http://127.0.0.1:{free_port()}/jwks.json"
    with pytest.raises(WebhookVerificationError, match="could not fetch the signing keys"):
        verify_webhook(received.headers, received.body, jwks_url=closed)

    failing = Scripted(Answer(500, {"object": "error"}), Answer(200, raw=b"not json"))
    try:
        url = f"{failing.base_url}/jwks.json"
        with pytest.raises(WebhookVerificationError, match=r"could not fetch .*HTTPStatusError"):
            verify_webhook(received.headers, received.body, jwks_url=url)
        with pytest.raises(WebhookVerificationError, match=r"could not fetch .*JSONDecodeError"):
            verify_webhook(received.headers, received.body, jwks_url=url)
    finally:
        failing.stop()


def test_missing_headers_or_no_key_material_are_refused(client, delivery):
    received, secret, _ = delivery
    flatpeak_only = {k: v for k, v in received.headers.items() if not k.startswith("webhook-")}
    with pytest.raises(WebhookVerificationError, match="webhook-id header is missing"):
        verify_webhook(flatpeak_only, received.body, secret=secret)
    unsigned = {k: v for k, v in received.headers.items() if k != "flatpeak-signature"}
    with pytest.raises(WebhookVerificationError, match="flatpeak-signature header is missing"):
        client.webhooks.verify(unsigned, received.body)
    with pytest.raises(ValueError, match="give secret="):
        verify_webhook(received.headers, received.body)
