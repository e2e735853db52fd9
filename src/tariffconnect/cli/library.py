"""`tariffconnect library sync --source octopus`: the tariff library from a supplier's
published products (docs/tariff-library.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import fail
from tariffconnect.config import Settings
from tariffconnect.integrations.octopus import library_sync
from tariffconnect.integrations.octopus.codes import CodeInvalid
from tariffconnect.integrations.octopus.errors import OctopusError

app = typer.Typer()
library_app = typer.Typer(no_args_is_help=True, help="The published-tariff library.")
app.add_typer(library_app, name="library")
SOURCES = ("octopus",)


@library_app.command("sync")
def library_sync_command(
    source: Annotated[str, typer.Option("--source", help="Where to read from: octopus.")],
) -> None:
    """Read the supplier's current products and replace its synced library entries."""
    if source not in SOURCES:
        raise fail(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    settings = Settings()
    try:
        with open_database(settings) as db:
            result = library_sync.run(settings, db, now=datetime.now(UTC))
    except (OctopusError, CodeInvalid, library_sync.LibrarySyncFailed) as error:
        raise fail(f"library sync failed, the library is unchanged: {error}") from None
    for line in library_sync.describe(result):
        typer.echo(line)
