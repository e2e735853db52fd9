"""Webhook endpoints: /webhook_endpoints, their delivery log, POST /events/{id}/redeliver and
/jwks.json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from tariffconnect.auth.context import Api
from tariffconnect.auth.routing import api_router
from tariffconnect.core.pagination import ListObject, PageParams, page_params
from tariffconnect.core.wire import Deleted
from tariffconnect.events import service as events
from tariffconnect.runtime import runtime_of
from tariffconnect.webhooks import service, signing
from tariffconnect.webhooks.schemas import (
    Redelivery,
    WebhookAttemptOut,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
)
from tariffconnect.webhooks.urls import parse_allowed_networks

router = api_router(prefix="/webhook_endpoints", tags=["Webhooks"])
public = api_router(tags=["Webhooks"])
redelivery = api_router(prefix="/events", tags=["Events"])
Page = Annotated[PageParams, Depends(page_params)]


@router.post("", name="webhook_endpoint_create", status_code=201, response_model=WebhookEndpointOut)
def create(api: Api, body: WebhookEndpointCreate) -> Response:
    """Register an endpoint. The answer carries its `whsec_` secret: it is shown only once."""
    settings = api.runtime.settings
    out = service.create(
        api.db,
        scope=api.scope,
        data=body,
        secret_key=settings.signing_secret,
        allow=parse_allowed_networks(settings.webhook_allowed_networks),
    )
    return api.reply(out, status_code=201)


@router.get("", name="webhook_endpoint_list", response_model=ListObject[WebhookEndpointOut])
def list_endpoints(api: Api, page: Page) -> dict[str, Any]:
    """The endpoints, newest first."""
    return service.list_(api.db, scope=api.scope, page=page)


@router.get("/{endpoint_id}", name="webhook_endpoint_retrieve")
def retrieve(api: Api, endpoint_id: str) -> WebhookEndpointOut:
    """One endpoint (without its secret)."""
    return service.render(service.get_or_raise(api.db, scope=api.scope, endpoint_id=endpoint_id))


@router.patch("/{endpoint_id}", name="webhook_endpoint_update", response_model=WebhookEndpointOut)
def update(api: Api, endpoint_id: str, body: WebhookEndpointUpdate) -> Response:
    """Change the URL, events, description, or enable or disable it."""
    allow = parse_allowed_networks(api.runtime.settings.webhook_allowed_networks)
    out = service.update(api.db, scope=api.scope, endpoint_id=endpoint_id, data=body, allow=allow)
    return api.reply(out)


@router.delete(
    "/{endpoint_id}", name="webhook_endpoint_delete", status_code=202, response_model=Deleted
)
def delete(api: Api, endpoint_id: str) -> Deleted:
    """Delete the endpoint and its pending deliveries."""
    service.delete(api.db, scope=api.scope, endpoint_id=endpoint_id)
    return Deleted(id=endpoint_id, object="webhook_endpoint")


@router.get(
    "/{endpoint_id}/deliveries",
    name="webhook_endpoint_deliveries",
    response_model=ListObject[WebhookAttemptOut],
)
def deliveries(api: Api, endpoint_id: str, page: Page) -> dict[str, Any]:
    """Every delivery attempt to the endpoint: time, HTTP status, latency and error."""
    return service.list_attempts(api.db, scope=api.scope, endpoint_id=endpoint_id, page=page)


@public.get("/jwks.json", name="jwks", summary="Webhook signing keys")
def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify `Flatpeak-Signature` headers (JWKS, RFC 7517)."""
    with runtime_of(request).db.transaction(write=False) as session:
        return signing.jwks(session)


@redelivery.post(
    "/{event_id}/redeliver",
    name="event_redeliver",
    status_code=202,
    response_model=Redelivery,
    summary="Send again",
)
def redeliver(api: Api, event_id: str) -> Response:
    """Queue the event again for every enabled endpoint that subscribes to it."""
    event = events.get_or_raise(api.db, scope=api.scope, event_id=event_id)
    queued = service.fan_out(api.db, event=event)
    return api.reply(Redelivery(event_id=event.id, deliveries=queued), status_code=202)
