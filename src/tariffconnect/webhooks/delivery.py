"""Webhook delivery: sends each queued webhook until it succeeds, for up to 3 days.

`DeliveryPump` is the hottest queue the job runner drives (tariffconnect/worker.py): it keeps
its own table and leases, and the runner calls `run_once()` back to back while it has work.

- Claiming: due deliveries are taken in a short transaction with `FOR UPDATE SKIP LOCKED`
  (PostgreSQL; SQLite serialises writers anyway) and leased (`webhook_lease_seconds`).
  Several workers never send the same delivery at once; a worker killed mid-send leaves its
  lease to run out, and another sends the delivery again: at least once, never lost.
- Retries: exponential backoff with jitter (RETRY_DELAYS, then every 12 hours), for up to
  GIVE_UP_AFTER; then the delivery fails and its endpoint is disabled with the reason. A 410
  answer disables the endpoint at once. Each attempt is logged (status, latency, error).
- Every retry of a delivery carries the same `webhook-id`, so receivers can drop repeats.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from anyio import to_thread
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from tariffconnect.core import versions
from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import as_utc, utcnow
from tariffconnect.events import service as events
from tariffconnect.events.models import Event
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.models import (
    DISABLED,
    ENABLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    SigningKey,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tariffconnect.webhooks.transport import DeliveryResult, close_clients, deliver
from tariffconnect.webhooks.urls import parse_allowed_networks

log = logging.getLogger("tariffconnect.webhooks")
# Deliveries name the release their payloads are written in (anode's names).
API_VERSION = versions.ANODE
GIVE_UP_AFTER = timedelta(days=3)
RETRY_DELAYS = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800]  # seconds, then 12 h
BATCH = 64
PER_ENDPOINT = 8
ROUNDS = 16  # batches one `run_once` pipelines before it returns to the runner
DELIVERY_TIMEOUT = 10.0  # seconds; shortened when the lease is short (see Worker)
# How long a worker signs with the key it read before it looks for a newer one: a rotation
# (`tariffconnect webhook-key rotate`) signs every worker's deliveries within a second, for at
# most one read a second while deliveries flow.
KEY_REFRESH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Job:
    delivery_id: str
    endpoint_id: str
    event_id: str
    url: str
    sealed_secret: bytes
    live_mode: bool
    body: bytes
    leased_until: datetime


@dataclass(frozen=True, slots=True)
class Signed:
    """A claimed delivery with the signed headers of its attempt."""

    job: Job
    headers: dict[str, str]


def retry_delay(attempts: int) -> timedelta:
    """The wait before attempt number `attempts + 1`, with up to 20% random jitter."""
    base = RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else 12 * 3600
    return timedelta(seconds=base * (1 + random.random() * 0.2))  # noqa: S311 (not a secret)


def claim(runtime: Runtime, *, now: datetime, batch: int = BATCH) -> list[Job]:
    """Lease up to `batch` due deliveries, oldest first, for `webhook_lease_seconds` (a send's
    timeout is at most half of it)."""
    lease = timedelta(seconds=runtime.settings.webhook_lease_seconds)
    due = (
        WebhookDelivery.status == PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
    )
    # The worker polls often: look first in a read transaction, which on SQLite takes no lock.
    with runtime.db.transaction(write=False) as session:
        probe = (
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(*due, WebhookEndpoint.status == ENABLED)
            .limit(1)
        )
        if session.execute(probe).first() is None:
            return []
    # Core rows, not ORM objects: the worker claims hundreds a second.
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(
                WebhookDelivery.id.label("delivery_id"),
                WebhookEndpoint.id.label("endpoint_id"),
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
                Event.id,
                Event.type,
                Event.data,
                Event.live_mode,
                Event.time_created,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(*due, WebhookEndpoint.status == ENABLED)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        if not rows:
            return []
        leased_until = now + lease
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row.delivery_id for row in rows]))
            .values(locked_until=leased_until)
        )
        return [
            Job(
                row.delivery_id,
                row.endpoint_id,
                row.id,
                row.url,
                row.secret,
                row.live_mode,
                orjson.dumps(events.render(row).model_dump(mode="json")),
                leased_until,
            )
            for row in rows
        ]


def record(
    runtime: Runtime, outcomes: Sequence[tuple[Job, DeliveryResult]], *, now: datetime
) -> None:
    """Log a round's attempts and settle its deliveries (done, retry later, or give up), all in
    one transaction: one commit per round, not per delivery, and in Core statements: the
    attempts in one INSERT, the deliveries that succeeded in one UPDATE."""
    with runtime.db.transaction() as session:
        ids = [job.delivery_id for job, _ in outcomes]
        deliveries = {
            row.id: row
            for row in session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.account_id,
                    WebhookDelivery.live_mode,
                    WebhookDelivery.status,
                    WebhookDelivery.attempts,
                    WebhookDelivery.locked_until,
                    WebhookDelivery.time_created,
                )
                .where(WebhookDelivery.id.in_(ids))
                .with_for_update()
            )
        }
        attempts: list[dict[str, object]] = []
        succeeded: list[str] = []
        for job, result in outcomes:
            delivery = deliveries.get(job.delivery_id)
            if delivery is None or delivery.status != PENDING:
                continue  # the endpoint was deleted, or another worker settled it after our lease
            if delivery.locked_until is None or as_utc(delivery.locked_until) != job.leased_until:
                continue  # our lease ran out and another worker holds the delivery now
            attempts.append(
                {
                    "id": new_id("wha"),
                    "account_id": delivery.account_id,
                    "live_mode": delivery.live_mode,
                    "time_created": now,
                    "delivery_id": delivery.id,
                    "endpoint_id": job.endpoint_id,
                    "event_id": job.event_id,
                    "http_status": result.status,
                    "latency_ms": result.latency_ms,
                    "error": result.error,
                }
            )
            if result.status is not None and 200 <= result.status < 300:
                succeeded.append(delivery.id)
            else:
                _settle_failure(
                    session, delivery.attempts, delivery.time_created, job, result, now=now
                )
        if attempts:
            session.execute(insert(WebhookAttempt), attempts)
        if succeeded:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(succeeded))
                .values(status=SUCCEEDED, attempts=WebhookDelivery.attempts + 1, locked_until=None)
            )


def _settle_failure(
    session: Session,
    attempts: int,
    time_created: datetime,
    job: Job,
    result: DeliveryResult,
    *,
    now: datetime,
) -> None:
    """A failed attempt: give up (410 Gone, or after GIVE_UP_AFTER) or retry after a backoff."""
    values: dict[str, object] = {"attempts": attempts + 1, "locked_until": None}
    if result.status == 410:
        values["status"] = FAILED
        _disable(session.get(WebhookEndpoint, job.endpoint_id), "the endpoint answered 410 Gone")
    elif now - as_utc(time_created) >= GIVE_UP_AFTER:
        values["status"] = FAILED
        _disable(session.get(WebhookEndpoint, job.endpoint_id), "deliveries failed for 3 days")
    else:
        values["next_attempt_at"] = now + retry_delay(attempts + 1)
    session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).values(**values)
    )


def _disable(endpoint: WebhookEndpoint | None, reason: str) -> None:
    if endpoint is not None and endpoint.status == ENABLED:
        endpoint.status, endpoint.disabled_reason = DISABLED, reason
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)


class DeliveryPump:
    """Claims due deliveries, sends them concurrently, and records the outcomes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.secret = runtime.settings.signing_secret
        self.allow = parse_allowed_networks(runtime.settings.webhook_allowed_networks)
        # A send must end well within its lease, or a second worker would send it meanwhile.
        self.timeout = min(DELIVERY_TIMEOUT, runtime.settings.webhook_lease_seconds / 2)
        self._key: SigningKey | None = None
        self._key_read_at = 0.0  # time.monotonic() of the read that gave `_key`

    async def aclose(self) -> None:
        await close_clients()

    async def run_once(self) -> bool:
        """Claim, sign, send concurrently and record, pipelined: while one batch is in flight
        the previous batch's outcomes are recorded and then the next batch is claimed and
        signed (in a thread), so the database round trips and the signing overlap with the
        sending.
        Returns once everything it claimed is recorded; True if anything was due."""
        batch = await to_thread.run_sync(self._prepare)
        if not batch:
            return False
        recording: asyncio.Future[None] | None = None
        try:
            for round_ in range(ROUNDS):
                sending = asyncio.ensure_future(self._send_batch(batch))
                try:
                    if recording is not None:
                        await recording  # the previous batch's outcomes, recorded meanwhile
                        recording = None
                    upcoming = (
                        await to_thread.run_sync(self._prepare) if round_ + 1 < ROUNDS else []
                    )
                finally:  # recorded even when claiming the next batch failed
                    results = await sending
                    recording = asyncio.ensure_future(
                        to_thread.run_sync(self._record_all, [s.job for s in batch], results)
                    )
                batch = self._still_leased(upcoming)
                if not batch:
                    break
        finally:
            if recording is not None:
                await recording
        return True

    def _prepare(self) -> list[Signed]:
        """Claim a batch and sign each delivery (in a thread)."""
        jobs = claim(self.runtime, now=utcnow())
        if not jobs:
            return []
        if self._key is None or time.monotonic() - self._key_read_at >= KEY_REFRESH_SECONDS:
            self._key = self._signing_key()
            self._key_read_at = time.monotonic()
        return [Signed(job, self._headers(job)) for job in jobs]

    def _still_leased(self, batch: list[Signed]) -> list[Signed]:
        """What of a batch claimed ahead can still be sent and answered within its lease; the
        rest (the previous batch took long) is left to its lease running out, and sent then."""
        latest = utcnow() + timedelta(seconds=self.timeout)
        return [signed for signed in batch if signed.job.leased_until > latest]

    async def _send_batch(self, batch: Sequence[Signed]) -> list[DeliveryResult]:
        # At most PER_ENDPOINT sends to one endpoint at a time: a receiver is not a load test.
        limits = {signed.job.endpoint_id: asyncio.Semaphore(PER_ENDPOINT) for signed in batch}

        async def send(signed: Signed) -> DeliveryResult:
            async with limits[signed.job.endpoint_id]:
                return await deliver(
                    signed.job.url,
                    body=signed.job.body,
                    headers=signed.headers,
                    allow=self.allow,
                    timeout=self.timeout,
                )

        return list(await asyncio.gather(*(send(signed) for signed in batch)))

    def _signing_key(self) -> SigningKey:
        with self.runtime.db.transaction() as session:
            return signing.ensure_signing_key(session, secret=self.secret)

    def _record_all(self, jobs: Sequence[Job], results: Sequence[DeliveryResult]) -> None:
        record(self.runtime, list(zip(jobs, results, strict=True)), now=utcnow())

    def _headers(self, job: Job) -> dict[str, str]:
        """The signed headers of one attempt (Flatpeak RSA and Standard Webhooks HMAC)."""
        assert self._key is not None
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json"}
        headers |= signing.flatpeak_headers(
            self._key, secret=self.secret, body=job.body, timestamp=timestamp, version=API_VERSION
        )
        headers |= signing.standard_headers(
            endpoint_secret=signing.unseal(job.sealed_secret, secret=self.secret),
            msg_id=job.delivery_id,
            timestamp=timestamp,
            body=job.body,
        )
        return headers
