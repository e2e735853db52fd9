"""Webhook delivery to a real receiver: signatures, retries, 410, redelivery."""

import asyncio
import base64
import dataclasses
import functools
import hashlib
import hmac
from datetime import timedelta

import orjson
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select, update

from tariffconnect.core.timeutil import utcnow
from tariffconnect.webhooks import delivery, signing
from tariffconnect.webhooks.delivery import DeliveryPump
from tariffconnect.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.helpers import assert_error
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def run_worker(app):
    return asyncio.run(DeliveryPump(app.state.runtime).run_once())


def register(client, tenant, url, events=("*",)):
    response = client.post(
        "/webhook_endpoints", json={"url": url, "enabled_events": list(events)}, headers=tenant.test
    )
    assert response.status_code == 201, response.text
    return response.json()


def make_location(client, tenant):
    body = {"postal_address": {"city": "York", "country_code": "GB"}}
    return client.post("/locations", json=body, headers=tenant.test).json()


def b64url_int(value):
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def test_delivery_verifies_with_only_jwks_and_with_the_whsec_secret(client, app, tenant, receiver):
    endpoint = register(client, tenant, receiver.url)
    location = make_location(client, tenant)
    assert run_worker(app) is True
    [got] = receiver.received
    event = orjson.loads(got.body)
    assert (event["type"], event["data"]["id"], event["object"]) == (
        "location.create",
        location["id"],
        "event",
    )

    jwks = client.get("/jwks.json").json()
    key = next(k for k in jwks["keys"] if k["kid"] == got.headers["flatpeak-key-id"])
    public = rsa.RSAPublicNumbers(b64url_int(key["e"]), b64url_int(key["n"])).public_key()
    scheme, _, signature = got.headers["flatpeak-signature"].partition("=")
    assert scheme == "v1" and got.headers["flatpeak-signature-scheme"] == "v1"
    signed = f"{got.headers['flatpeak-timestamp']}.".encode() + got.body
    public.verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        signed,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )

    secret = base64.b64decode(endpoint["secret"].removeprefix("whsec_"))
    content = f"{got.headers['webhook-id']}.{got.headers['webhook-timestamp']}.".encode() + got.body
    expected = base64.b64encode(hmac.new(secret, content, hashlib.sha256).digest()).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"
    attempts = client.get(
        f"/webhook_endpoints/{endpoint['id']}/deliveries", headers=tenant.test
    ).json()
    assert [(a["http_status"], a["error"], a["event_id"]) for a in attempts["data"]] == [
        (200, None, event["id"])
    ]


def test_only_subscribed_events_are_sent(client, app, tenant, receiver):
    register(client, tenant, receiver.url, events=["customer.create"])
    make_location(client, tenant)
    client.post("/customers", json={}, headers=tenant.test)
    run_worker(app)
    assert [orjson.loads(r.body)["type"] for r in receiver.received] == ["customer.create"]


def test_receiver_down_then_up_loses_nothing_and_retries_keep_the_id(
    client, app, database, tenant, receiver
):
    endpoint = register(client, tenant, receiver.url)
    port = receiver.port
    receiver.stop()
    locations = [make_location(client, tenant)["id"] for _ in range(3)]
    assert run_worker(app) is True
    attempts = client.get(
        f"/webhook_endpoints/{endpoint['id']}/deliveries", headers=tenant.test
    ).json()
    assert len(attempts["data"]) == 3
    assert [(a["http_status"], a["error"]) for a in attempts["data"]] == [
        (None, "connection_failed")
    ] * 3
    with database.transaction(write=False) as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"])
        ).all()
        assert all(r.status == "pending" and r.attempts == 1 for r in rows)
        assert all(
            r.next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None) for r in rows
        )
    assert run_worker(app) is False  # nothing is due before the backoff has passed

    receiver.start(port)
    with database.transaction() as session:  # let the backoff pass
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint["id"])
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    assert run_worker(app) is True
    got = [orjson.loads(r.body)["data"]["id"] for r in receiver.received]
    assert sorted(got) == sorted(locations)
    ids = {r.headers["webhook-id"] for r in receiver.received}
    with database.transaction(write=False) as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"])
        ).all()
    assert ids == {r.id for r in rows}
    assert all(r.status == "succeeded" and r.attempts == 2 for r in rows)


def test_410_disables_the_endpoint(client, app, tenant, receiver):
    receiver.status = 410
    endpoint = register(client, tenant, receiver.url)
    make_location(client, tenant)
    run_worker(app)
    got = client.get(f"/webhook_endpoints/{endpoint['id']}", headers=tenant.test).json()
    assert (got["status"], got["disabled_reason"]) == ("disabled", "the endpoint answered 410 Gone")
    # Nothing more is sent to it (other tests' due deliveries may share the pass).
    arrived = len(receiver.received)
    make_location(client, tenant)
    run_worker(app)
    assert len(receiver.received) == arrived == 1


def test_redeliver_sends_an_event_again(client, app, tenant, receiver):
    register(client, tenant, receiver.url)
    location = make_location(client, tenant)
    run_worker(app)
    event = client.get("/events", params={"object_id": location["id"]}, headers=tenant.test).json()[
        "data"
    ][0]
    response = client.post(f"/events/{event['id']}/redeliver", headers=tenant.test)
    assert response.status_code == 202
    assert response.json() == {
        "object": "event_redelivery",
        "event_id": event["id"],
        "deliveries": 1,
    }
    run_worker(app)
    assert [orjson.loads(r.body)["id"] for r in receiver.received] == [event["id"], event["id"]]
    assert_error(
        client.post(f"/events/{event['id']}/redeliver", headers=tenant.live), 404, "event_not_found"
    )


def test_a_running_worker_signs_with_a_rotated_key_within_a_second(
    client, app, database, tenant, receiver, monkeypatch
):
    """The pump reads the newest key again once a second, so `webhook-key rotate` reaches a
    worker that is already running (it used to sign with its first key until restarted)."""
    register(client, tenant, receiver.url)
    pump = DeliveryPump(app.state.runtime)
    make_location(client, tenant)
    assert asyncio.run(pump.run_once()) is True
    first = receiver.received[0].headers["flatpeak-key-id"]
    with database.transaction() as session:
        rotated = signing.rotate(session, secret=app.state.runtime.settings.signing_secret).id
    assert rotated != first

    make_location(client, tenant)
    assert asyncio.run(pump.run_once()) is True  # within the second: the key it read
    assert receiver.received[1].headers["flatpeak-key-id"] == first

    monkeypatch.setattr(delivery, "KEY_REFRESH_SECONDS", 0.0)  # the second has passed
    make_location(client, tenant)
    assert asyncio.run(pump.run_once()) is True
    assert receiver.received[2].headers["flatpeak-key-id"] == rotated


def test_one_round_pipelines_several_batches_and_records_each_once(
    client, app, database, tenant, receiver, monkeypatch
):
    """With batches of 2, five due deliveries take three batches in one `run_once`: each sent
    once, each recorded once (attempts 1, one attempt row, succeeded)."""
    monkeypatch.setattr(delivery, "claim", functools.partial(delivery.claim, batch=2))
    endpoint = register(client, tenant, receiver.url)
    locations = [make_location(client, tenant)["id"] for _ in range(5)]
    assert run_worker(app) is True
    got = [orjson.loads(r.body)["data"]["id"] for r in receiver.received]
    assert sorted(got) == sorted(locations)
    with database.transaction(write=False) as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"])
        ).all()
        attempts = session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint["id"])
        ).all()
    assert (
        sorted((r.status, r.attempts, r.locked_until) for r in rows) == [("succeeded", 1, None)] * 5
    )
    assert sorted(a.delivery_id for a in attempts) == sorted(r.id for r in rows)
    assert {r.headers["webhook-id"] for r in receiver.received} == {r.id for r in rows}
    run_worker(app)  # nothing of this endpoint's is sent twice
    assert len(receiver.received) == 5


def test_a_batch_claimed_ahead_past_its_lease_is_left_to_the_lease(
    client, app, database, tenant, receiver, monkeypatch
):
    """A batch claimed while the previous one was sending is sent only if it can still be
    answered within its lease; otherwise it is neither sent nor recorded, and stays leased."""
    monkeypatch.setattr(delivery, "claim", functools.partial(delivery.claim, batch=1))
    endpoint = register(client, tenant, receiver.url)
    first, second = (make_location(client, tenant)["id"] for _ in range(2))
    pump = DeliveryPump(app.state.runtime)
    prepare = pump._prepare
    calls = []

    def prepare_then_age():
        batch = prepare()
        calls.append(len(batch))
        if len(calls) == 2:  # the batch claimed ahead: pretend the lease is nearly over
            leased = utcnow() + timedelta(seconds=pump.timeout / 2)
            batch = [
                delivery.Signed(dataclasses.replace(s.job, leased_until=leased), s.headers)
                for s in batch
            ]
        return batch

    monkeypatch.setattr(pump, "_prepare", prepare_then_age)
    assert asyncio.run(pump.run_once()) is True
    assert calls == [1, 1]
    assert [orjson.loads(r.body)["data"]["id"] for r in receiver.received] == [first]
    with database.transaction(write=False) as session:
        rows = {
            r.attempts: r
            for r in session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"])
            )
        }
    assert sorted(rows) == [0, 1]
    left = rows[0]
    assert left.status == "pending" and left.locked_until is not None
    assert second not in [orjson.loads(r.body)["data"]["id"] for r in receiver.received]
