"""The demo a start prints: a demo account on a first run, a hosted Connect link every time."""

from __future__ import annotations

import shlex

import typer

from tariffconnect.accounts import service as accounts
from tariffconnect.config import Settings
from tariffconnect.connect import service as connect_sessions
from tariffconnect.connect.schemas import ConnectSessionCreate
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.locations import service as locations
from tariffconnect.locations.schemas import LocationCreate, PostalAddressIn

DEMO_NAME = "Demo"
DEMO_LOCATION = "tariffconnect-demo"  # the demo location's reference_id
DEMO_ADDRESS = PostalAddressIn(
    address_line1="10 Downing Street", city="London", post_code="SW1A 2AA", country_code="GB"
)


def greet(db: Database, settings: Settings) -> None:
    """Make the demo account on an empty database, then print a link into Connect for it."""
    first_run_account(db, settings)
    connect_link(db, settings)


def first_run_account(db: Database, settings: Settings) -> None:
    """On an empty database, create a demo account and say how to use it."""
    with db.transaction() as session:
        if accounts.first(session) is not None:
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


def connect_link(db: Database, settings: Settings) -> None:
    """Print a fresh link to the hosted Connect flow for the demo account's demo location.

    A new session on every start, as sessions expire (a day by default); the demo location is
    made on the first start that lacks it.
    """
    base = settings.base_url
    with db.transaction() as session:
        account = accounts.first(session, name=DEMO_NAME)
        if account is None:
            return
        scope = Scope(account.id, live_mode=False)
        location = locations.get_by_reference_id(session, scope=scope, reference_id=DEMO_LOCATION)
        if location is not None:
            location_id = location.id
        else:
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
