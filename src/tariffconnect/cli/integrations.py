"""DIRECT connection commands: `integrations refresh` (one pass now) and `integrations status`
(every connection, never its credentials)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from tariffconnect import hooks
from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.integrations import status as connections
from tariffconnect.integrations import tasks
from tariffconnect.locations import service as locations
from tariffconnect.runtime import Runtime

app = typer.Typer()
integrations_app = typer.Typer(no_args_is_help=True, help="DIRECT connections.")
app.add_typer(integrations_app, name="integrations")

LocationOption = Annotated[
    str | None,
    typer.Option("--location", help="Only this location's connections (loc_…), due or not."),
]


@integrations_app.command("refresh")
def refresh(location: LocationOption = None) -> None:
    """Pull the due DIRECT tariffs now (or every one of a location)."""
    settings = Settings()
    hooks.install()  # the events a pull records fan out to webhooks
    now = utcnow()
    with open_database(settings) as db:
        runtime = Runtime(settings=settings, db=db)
        if location is None:
            outcomes = tasks.pull_all(runtime, tasks.claim_due(runtime, now=now), now=now)
        else:
            try:
                with db.transaction(write=False) as session:
                    locations.scope_of(session, location_id=location)
            except ApiError as error:
                raise fail(error.message) from None
            ids = tasks.claim_location(runtime, location_id=location, now=now)
            outcomes = tasks.pull_all(runtime, ids, now=now)
    typer.echo(tasks.summary(outcomes))


@integrations_app.command("status")
def status(location: LocationOption = None, as_json: AsJson = False) -> None:
    """List the DIRECT connections: location, element, provider, status, last success, last
    error and next refresh."""
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        lines = connections.connections(session, location_id=location)
    rows = [
        {
            "id": line.id,
            "location_id": line.location_id,
            "element": line.element,
            "provider_id": line.provider_id,
            "status": line.status,
            "last_success": _time(line.last_success_at),
            "last_error": line.last_error,
            "next_refresh": _time(line.next_refresh_at),
        }
        for line in lines
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no DIRECT connections")
    for row in rows:
        typer.echo(
            f"{row['location_id']}  {row['element']:22}  {row['provider_id']}  "
            f"{row['status']:9}  last success {row['last_success'] or '-'}  "
            f"next {row['next_refresh']}  last error {row['last_error'] or '-'}"
        )


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_utc(moment)
