"""Webhook commands: `webhook create|list|delete` and `webhook-key rotate`."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AccountId, AsJson, Mode, fail, scope_of
from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError
from tariffconnect.core.pagination import PageParams
from tariffconnect.webhooks import service as webhooks
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.schemas import WebhookEndpointCreate
from tariffconnect.webhooks.urls import parse_allowed_networks

app = typer.Typer()
webhook_key_app = typer.Typer(no_args_is_help=True, help="Webhook signing keys.")
webhook_app = typer.Typer(no_args_is_help=True, help="Webhook endpoints.")
app.add_typer(webhook_key_app, name="webhook-key")
app.add_typer(webhook_app, name="webhook")


@webhook_key_app.command("rotate")
def webhook_key_rotate() -> None:
    """Add a new webhook signing key; older keys stay published at /jwks.json."""
    settings = Settings()
    with open_database(settings) as db, db.transaction() as session:
        key = signing.rotate(session, secret=settings.signing_secret)
    typer.echo(f"new signing key {key.id}")


@webhook_app.command("create")
def webhook_create(
    account_id: AccountId,
    url: Annotated[str, typer.Option(help="Where to send events.")],
    mode: Mode = "test",
    events: Annotated[str, typer.Option(help="Comma-separated event types, or *.")] = "*",
    as_json: AsJson = False,
) -> None:
    """Register a webhook endpoint (its whsec_ secret is shown once)."""
    settings = Settings()
    scope = scope_of(account_id, mode)
    try:
        with open_database(settings) as db:
            data = WebhookEndpointCreate(url=url, enabled_events=events.split(","))
            with db.transaction() as session:
                out = webhooks.create(
                    session,
                    scope=scope,
                    data=data,
                    secret_key=settings.signing_secret,
                    allow=parse_allowed_networks(settings.webhook_allowed_networks),
                )
    except (ApiError, ValidationError) as error:
        raise fail(str(getattr(error, "message", error))) from None
    typer.echo(out.model_dump_json() if as_json else f"{out.id}  {out.url}\nsecret: {out.secret}")


@webhook_app.command("list")
def webhook_list(account_id: AccountId, mode: Mode = "test") -> None:
    """List an account's webhook endpoints."""
    scope = scope_of(account_id, mode)
    page = PageParams(limit=100, starting_after=None, ending_before=None)
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        for endpoint in webhooks.list_(session, scope=scope, page=page)["data"]:
            typer.echo(f"{endpoint.id}  {endpoint.status:8}  {endpoint.url}")


@webhook_app.command("delete")
def webhook_delete(
    account_id: AccountId,
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint (we_…).")],
    mode: Mode = "test",
) -> None:
    """Delete a webhook endpoint."""
    scope = scope_of(account_id, mode)
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            webhooks.delete(session, scope=scope, endpoint_id=endpoint_id)
    except ApiError as error:
        raise fail(error.message) from None
    typer.echo(f"deleted {endpoint_id}")
