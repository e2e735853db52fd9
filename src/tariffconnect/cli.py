"""The `tariffconnect` command: serve, migrate, accounts and API keys."""

from __future__ import annotations

import json
import logging
import os
import shlex
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select

from tariffconnect.accounts import service as accounts
from tariffconnect.accounts.models import Account
from tariffconnect.config import Settings
from tariffconnect.connect import service as connect_sessions
from tariffconnect.connect.schemas import ConnectSessionCreate
from tariffconnect.core.errors import ApiError
from tariffconnect.core.pagination import PageParams
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.locations.schemas import LocationCreate, PostalAddressIn
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks import service as webhooks
from tariffconnect.webhooks import signing
from tariffconnect.webhooks.schemas import WebhookEndpointCreate
from tariffconnect.worker import run_process

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
account_app = typer.Typer(no_args_is_help=True, help="Accounts.")
key_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(account_app, name="account")
app.add_typer(key_app, name="key")
webhook_key_app = typer.Typer(no_args_is_help=True, help="Webhook signing keys.")
webhook_app = typer.Typer(no_args_is_help=True, help="Webhook endpoints.")
app.add_typer(webhook_key_app, name="webhook-key")
app.add_typer(webhook_app, name="webhook")

Mode = Annotated[str, typer.Option("--mode", help="test or live")]


def _database(settings: Settings) -> Database:
    """Open the database and bring its schema up to date."""
    db = Database(settings.database_url_resolved, pool_size=2)
    upgrade(db.engine)
    return db


def _live(mode: str) -> bool:
    if mode not in ("test", "live"):
        raise typer.BadParameter("mode must be test or live")
    return mode == "live"


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    _database(Settings()).dispose()
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Migrate, then serve the API."""
    settings = Settings()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    db = _database(settings)
    try:
        if settings.demo_account:
            _first_run_demo(db, settings)
            _demo_connect_link(db, settings)
    finally:
        db.dispose()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Worker processes build their app from the environment: pass the overrides on through it.
    os.environ["TARIFFCONNECT_HOST"] = settings.host
    os.environ["TARIFFCONNECT_PORT"] = str(settings.port)
    uvicorn.run(
        "tariffconnect.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
    )


@app.command()
def worker() -> None:
    """Run the background worker: periodic tasks, queued jobs and webhook delivery (also runs
    inside `serve` unless disabled)."""
    settings = Settings()
    db = _database(settings)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        run_process(Runtime(settings=settings, db=db))
    finally:
        db.dispose()


@webhook_key_app.command("rotate")
def webhook_key_rotate() -> None:
    """Add a new webhook signing key; older keys stay published at /jwks.json."""
    settings = Settings()
    db = _database(settings)
    try:
        with db.transaction() as session:
            key = signing.rotate(session, secret=settings.signing_secret)
    finally:
        db.dispose()
    typer.echo(f"new signing key {key.id}")


@webhook_app.command("create")
def webhook_create(
    account_id: Annotated[str, typer.Option("--account", help="Account id (acc_…).")],
    url: Annotated[str, typer.Option(help="Where to send events.")],
    mode: Mode = "test",
    events: Annotated[str, typer.Option(help="Comma-separated event types, or *.")] = "*",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Register a webhook endpoint (its whsec_ secret is shown once)."""
    settings = Settings()
    scope = Scope(account_id=account_id, live_mode=_live(mode))
    db = _database(settings)
    try:
        data = WebhookEndpointCreate(url=url, enabled_events=events.split(","))
        with db.transaction() as session:
            out = webhooks.create(
                session, scope=scope, data=data, secret_key=settings.signing_secret
            )
    except (ApiError, ValidationError) as error:
        raise _fail(str(getattr(error, "message", error))) from None
    finally:
        db.dispose()
    typer.echo(out.model_dump_json() if as_json else f"{out.id}  {out.url}\nsecret: {out.secret}")


@webhook_app.command("list")
def webhook_list(
    account_id: Annotated[str, typer.Option("--account", help="Account id (acc_…).")],
    mode: Mode = "test",
) -> None:
    """List an account's webhook endpoints."""
    scope = Scope(account_id=account_id, live_mode=_live(mode))
    db = _database(Settings())
    try:
        with db.transaction(write=False) as session:
            page = PageParams(limit=100, starting_after=None, ending_before=None)
            for endpoint in webhooks.list_(session, scope=scope, page=page)["data"]:
                typer.echo(f"{endpoint.id}  {endpoint.status:8}  {endpoint.url}")
    finally:
        db.dispose()


@webhook_app.command("delete")
def webhook_delete(
    account_id: Annotated[str, typer.Option("--account", help="Account id (acc_…).")],
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint (we_…).")],
    mode: Mode = "test",
) -> None:
    """Delete a webhook endpoint."""
    scope = Scope(account_id=account_id, live_mode=_live(mode))
    db = _database(Settings())
    try:
        with db.transaction() as session:
            webhooks.delete(session, scope=scope, endpoint_id=endpoint_id)
    except ApiError as error:
        raise _fail(error.message) from None
    finally:
        db.dispose()
    typer.echo(f"deleted {endpoint_id}")


DEMO_NAME = "Demo"


def _first_run_demo(db: Database, settings: Settings) -> None:
    """On an empty database, create a demo account and say how to use it."""
    with db.transaction() as session:
        if session.scalars(select(Account.id).limit(1)).first() is not None:
            return
        account = accounts.create(session, name=DEMO_NAME)
        key = accounts.create_key(session, account_id=account.id, live_mode=False, name="demo")
    base = settings.base_url
    credentials = shlex.quote(f"{account.id}:{key.secret}")
    typer.echo("First run: created a demo account (the key is shown only this once).")
    typer.echo(f"  account id:   {account.id}")
    typer.echo(f"  test API key: {key.secret}")
    typer.echo("Log in with:")
    typer.echo(f"  curl -s -u {credentials} {base}/login")


DEMO_LOCATION = "tariffconnect-demo"  # the demo location's reference_id
DEMO_ADDRESS = PostalAddressIn(
    address_line1="10 Downing Street", city="London", post_code="SW1A 2AA", country_code="GB"
)


def _demo_connect_link(db: Database, settings: Settings) -> None:
    """Print a fresh link to the hosted Connect flow for the demo account's demo location.

    A new session on every start, as sessions expire (a day by default); the demo location is
    made on the first start that lacks it.
    """
    base = settings.base_url
    with db.transaction() as session:
        query = select(Account.id).where(Account.name == DEMO_NAME).order_by(Account.id)
        account_id = session.scalars(query.limit(1)).first()
        if account_id is None:
            return
        scope = Scope(account_id, live_mode=False)
        location_id = session.scalars(
            select(Location.id)
            .where(
                Location.account_id == account_id,
                Location.live_mode.is_(False),
                Location.reference_id == DEMO_LOCATION,
            )
            .limit(1)
        ).first()
        if location_id is None:
            body = LocationCreate(reference_id=DEMO_LOCATION, postal_address=DEMO_ADDRESS)
            location_id = locations.create(session, scope=scope, data=body).id
        connect_session = connect_sessions.create(
            session,
            scope=scope,
            data=ConnectSessionCreate(
                location_id=location_id,
                connect_url=f"{base}/connect/web",
                callback_url=f"{base}/connect/web/done",
            ),
            ttl_seconds=settings.connect_session_ttl_seconds,
        )
    typer.echo("Link a tariff as a customer would (the demo location's hosted Connect flow):")
    typer.echo(f"  {base}/connect/web?fp_cot={connect_session.id}")


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Option(help="Account name.")] = "Default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an account with a test and a live API key (shown once)."""
    db = _database(Settings())
    try:
        with db.transaction() as session:
            account = accounts.create(session, name=name)
            test = accounts.create_key(session, account_id=account.id, live_mode=False)
            live = accounts.create_key(session, account_id=account.id, live_mode=True)
    finally:
        db.dispose()
    result = {"account_id": account.id, "test_api_key": test.secret, "live_api_key": live.secret}
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"account id:   {account.id}")
    typer.echo(f"test API key: {test.secret}")
    typer.echo(f"live API key: {live.secret}")
    typer.echo("Keys are shown only now; they are stored as hashes.")


@key_app.command("create")
def key_create(
    account_id: Annotated[str, typer.Option("--account", help="Account id (acc_…).")],
    mode: Mode = "test",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key (shown once)."""
    live = _live(mode)
    db = _database(Settings())
    try:
        with db.transaction() as session:
            key = accounts.create_key(session, account_id=account_id, live_mode=live, name=name)
    except ApiError as error:
        raise _fail(error.message) from None
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps({"id": key.id, "api_key": key.secret, "live_mode": live}))
        return
    typer.echo(f"key id:  {key.id}")
    typer.echo(f"API key: {key.secret}")


@key_app.command("revoke")
def key_revoke(
    key: Annotated[str, typer.Argument(help="The key's id (key_…) or the key itself.")],
) -> None:
    """Revoke an API key; bearer tokens minted from it stop working at once."""
    db = _database(Settings())
    try:
        with db.transaction() as session:
            revoked = accounts.revoke_key(session, key_id_or_secret=key)
    except ApiError as error:
        raise _fail(error.message) from None
    finally:
        db.dispose()
    typer.echo(f"revoked {revoked.id} ({revoked.key_hint})")


@key_app.command("list")
def key_list(
    account_id: Annotated[str, typer.Option("--account", help="Account id (acc_…).")],
) -> None:
    """List an account's keys."""
    db = _database(Settings())
    try:
        with db.transaction(write=False) as session:
            keys = accounts.list_keys(session, account_id=account_id)
            for k in keys:
                state = "revoked" if k.time_revoked else "active"
                mode = "live" if k.live_mode else "test"
                typer.echo(f"{k.id}  {mode}  {state:7}  {k.key_hint}  {k.name}")
    finally:
        db.dispose()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def main() -> None:
    app()
