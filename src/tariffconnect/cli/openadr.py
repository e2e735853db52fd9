"""OpenADR commands: `openadr client create|list|revoke`, the client credentials a VEN reads
one location's OpenADR 3 programs and events with."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError
from tariffconnect.openadr import clients

app = typer.Typer()
openadr_app = typer.Typer(no_args_is_help=True, help="OpenADR 3 VTN.")
client_app = typer.Typer(no_args_is_help=True, help="OpenADR client credentials (VENs).")
app.add_typer(openadr_app, name="openadr")
openadr_app.add_typer(client_app, name="client")
LocationId = Annotated[str, typer.Option("--location", help="The location (loc_…).")]


@client_app.command("create")
def client_create(location_id: LocationId, as_json: AsJson = False) -> None:
    """Make client credentials for one location (the secret is shown once)."""
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            issued = clients.create(session, location_id=location_id)
    except ApiError as error:
        raise fail(error.message) from None
    if as_json:
        out = {"client_id": issued.client_id, "client_secret": issued.client_secret}
        typer.echo(json.dumps(out))
    else:
        typer.echo(f"client_id: {issued.client_id}\nclient_secret: {issued.client_secret}")


@client_app.command("list")
def client_list(
    location_id: Annotated[
        str | None, typer.Option("--location", help="Only this location's clients.")
    ] = None,
) -> None:
    """List OpenADR clients, newest first (their secrets are never shown again)."""
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        for client in clients.list_(session, location_id=location_id):
            state = "revoked" if client.time_revoked else "active"
            typer.echo(f"{client.id}  {state:7}  {client.location_id}")


@client_app.command("revoke")
def client_revoke(
    client_id: Annotated[str, typer.Argument(help="The client (oac_…).")],
) -> None:
    """Revoke a client: its secret and its access tokens stop working at once."""
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            clients.revoke(session, client_id=client_id)
    except ApiError as error:
        raise fail(error.message) from None
    typer.echo(f"revoked {client_id}")
