"""Webhook endpoints, and the fan-out of each new event into deliveries (the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import not_found
from tariffconnect.core.ids import new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, get_owned, parameters_of, scoped, scoped_by_parameters
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.db.bulk import insert_rows
from tariffconnect.events import service as events
from tariffconnect.events.models import Event
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.models import (
    ENABLED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tariffconnect.webhooks.schemas import (
    ALL_EVENTS,
    WebhookAttemptOut,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
)
from tariffconnect.webhooks.urls import IPNetwork, validate_endpoint_url


def get_or_raise(session: Session, *, scope: Scope, endpoint_id: str) -> WebhookEndpoint:
    """The caller's endpoint, or 404 `webhook_endpoint_not_found`."""
    found = get_owned(session, WebhookEndpoint, scope, endpoint_id, prefix="we")
    if found is None:
        raise not_found("webhook_endpoint_not_found", f"No webhook endpoint {endpoint_id}.")
    return found


def render(endpoint: WebhookEndpoint, *, secret: str | None = None) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id,
        live_mode=endpoint.live_mode,
        url=endpoint.url,
        enabled_events=endpoint.enabled_events,
        description=endpoint.description,
        status=endpoint.status,
        disabled_reason=endpoint.disabled_reason,
        time_created=format_utc(endpoint.time_created),
        secret=secret,
    )


def create(
    session: Session,
    *,
    scope: Scope,
    data: WebhookEndpointCreate,
    secret_key: bytes,
    allow: Sequence[IPNetwork],
) -> WebhookEndpointOut:
    """Register an endpoint; the answer carries its whsec_ secret, shown only this once.
    `allow`: the private networks the operator lets webhooks reach (urls.py)."""
    url = validate_endpoint_url(data.url, live_mode=scope.live_mode, allow=allow)
    endpoint_secret = signing.new_endpoint_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        time_updated=now,
        url=url,
        description=data.description,
        enabled_events=data.enabled_events,
        status=ENABLED,
        disabled_reason=None,
        secret=signing.seal(endpoint_secret, secret=secret_key),
    )
    session.add(endpoint)
    session.flush()
    return render(endpoint, secret=endpoint_secret)


def update(
    session: Session,
    *,
    scope: Scope,
    endpoint_id: str,
    data: WebhookEndpointUpdate,
    allow: Sequence[IPNetwork],
) -> WebhookEndpointOut:
    """Change the fields given; enabling again clears the reason it was disabled."""
    endpoint = get_or_raise(session, scope=scope, endpoint_id=endpoint_id)
    if data.url is not None:
        endpoint.url = validate_endpoint_url(data.url, live_mode=scope.live_mode, allow=allow)
    if data.enabled_events is not None:
        endpoint.enabled_events = data.enabled_events
    if "description" in data.model_fields_set:
        endpoint.description = data.description
    if data.status is not None:
        endpoint.status = data.status
        endpoint.disabled_reason = None if data.status == ENABLED else "disabled by the account"
    endpoint.time_updated = utcnow()
    return render(endpoint)


def delete(session: Session, *, scope: Scope, endpoint_id: str) -> None:
    """Delete the endpoint; its pending deliveries go with it."""
    session.delete(get_or_raise(session, scope=scope, endpoint_id=endpoint_id))


def list_(session: Session, *, scope: Scope, page: PageParams) -> dict[str, Any]:
    """The caller's endpoints, newest first."""
    query = scoped(select(WebhookEndpoint), WebhookEndpoint, scope)
    return paginate(
        session,
        query,
        WebhookEndpoint.id,
        page,
        url="/webhook_endpoints",
        render=lambda rows: [render(e) for e in rows],
    )


def list_attempts(
    session: Session, *, scope: Scope, endpoint_id: str, page: PageParams
) -> dict[str, Any]:
    """Every delivery attempt to one endpoint, newest first."""
    get_or_raise(session, scope=scope, endpoint_id=endpoint_id)
    query = scoped(select(WebhookAttempt), WebhookAttempt, scope).where(
        WebhookAttempt.endpoint_id == endpoint_id
    )
    return paginate(
        session,
        query,
        WebhookAttempt.id,
        page,
        url=f"/webhook_endpoints/{endpoint_id}/deliveries",
        render=_render_attempts,
    )


def _render_attempts(attempts: Sequence[WebhookAttempt]) -> list[WebhookAttemptOut]:
    return [
        WebhookAttemptOut(
            id=a.id,
            event_id=a.event_id,
            delivery_id=a.delivery_id,
            time_created=format_utc(a.time_created),
            http_status=a.http_status,
            latency_ms=a.latency_ms,
            error=a.error,
        )
        for a in attempts
    ]


# The enabled endpoints of one account and mode, built once (core/scoping.py says why).
_LISTENING = scoped_by_parameters(
    select(WebhookEndpoint.id, WebhookEndpoint.enabled_events), WebhookEndpoint
).where(WebhookEndpoint.status == ENABLED)


def fan_out(session: Session, *, event: Event) -> int:
    """Queue one event for every enabled endpoint of its account and mode that wants it;
    return how many deliveries were queued."""
    return fan_out_many(session, [event])


def fan_out_many(session: Session, written: Sequence[events.Recorded]) -> int:
    """Queue each of `written` for every enabled endpoint of its account and mode that wants
    it, with one endpoint query per account and mode and one bulk insert.

    Runs in the transaction that records the events, so a committed change always has its
    deliveries queued, and a rolled-back one never has. Returns how many were queued.
    """
    endpoints: dict[tuple[str, bool], list[tuple[str, list[str]]]] = {}
    rows: list[dict[str, Any]] = []
    for event in written:
        scope = (event.account_id, event.live_mode)
        if scope not in endpoints:
            endpoints[scope] = [
                (endpoint_id, enabled)
                for endpoint_id, enabled in session.execute(
                    _LISTENING, parameters_of(Scope(event.account_id, event.live_mode))
                )
            ]
        rows.extend(
            {
                "id": new_id("whd"),
                "account_id": event.account_id,
                "live_mode": event.live_mode,
                "time_created": event.time_created,
                "event_id": event.id,
                "endpoint_id": endpoint_id,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": event.time_created,
                "locked_until": None,
            }
            for endpoint_id, enabled in endpoints[scope]
            if ALL_EVENTS in enabled or event.type in enabled
        )
    if rows:
        session.flush()  # the deliveries refer to event rows the session may still hold
        insert_rows(session, WebhookDelivery, rows)
    return len(rows)


def install() -> None:
    """Queue deliveries for every event recorded from now on (called at app and worker start)."""
    events.on_record(fan_out_many)
