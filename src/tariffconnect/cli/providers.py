"""Provider commands: `provider auth-module PROVIDER_ID URL [--clear]` binds a provider to
its auth module; `provider list [--direct]` shows the catalogue and the DIRECT routes."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.integrations import bindings, upgrades
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.providers import catalogue
from tariffconnect.providers.sandbox import SANDBOX
from tariffconnect.webhooks.urls import parse_allowed_networks

app = typer.Typer()
provider_app = typer.Typer(no_args_is_help=True, help="Providers and their auth modules.")
app.add_typer(provider_app, name="provider")


@provider_app.command("auth-module")
def auth_module(
    provider_id: Annotated[str, typer.Argument(help="The provider (prv_…).")],
    url: Annotated[str | None, typer.Argument(help="The module's base URL.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the binding.")] = False,
) -> None:
    """Bind a provider to the auth module at URL (https, or http to an allowed network); the
    locations on its MANUAL or LIBRARY tariffs get `tariff.connection.upgrade` at once."""
    if clear == (url is not None):
        typer.echo("error: give either URL or --clear", err=True)
        raise typer.Exit(2)
    settings = Settings()
    with open_database(settings) as db, db.transaction() as session:
        if clear:
            if not bindings.clear(session, provider_id=provider_id):
                raise fail(f"{provider_id} has no auth module")
            typer.echo(f"{provider_id}: auth module removed")
            return
        assert url is not None
        now = utcnow()
        try:
            row = bindings.bind(
                session,
                provider_id=provider_id,
                url=url,
                now=now,
                allow=parse_allowed_networks(settings.webhook_allowed_networks),
            )
        except ApiError as error:
            raise fail(error.message) from None
        # In the binding's transaction: the locations on this provider's MANUAL or LIBRARY
        # tariffs hear of the upgrade now, not at the next periodic scan.
        told = upgrades.scan(session, now=now, provider_id=provider_id)
        typer.echo(f"{provider_id}: auth module {row.url}")
        if told:
            typer.echo(f"{provider_id}: {told} location(s) told of the DIRECT upgrade")


@provider_app.command("list")
def provider_list(
    direct: Annotated[
        bool, typer.Option("--direct", help="Only DIRECT providers and bound ones.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """The catalogue's providers with their DIRECT route: module, built-in adapter or none."""
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        bound = {row.provider_id: row for row in bindings.list_bindings(session)}
    providers = [SANDBOX, *catalogue.all_providers()]
    rows: list[dict[str, Any]] = []
    for provider in providers:
        binding = bound.get(provider.id)
        if direct and provider.integration_type != "DIRECT" and binding is None:
            continue
        rows.append(
            {
                "provider_id": provider.id,
                "display_name": provider.display_name,
                "country_code": provider.country_code,
                "integration_type": str(provider.integration_type),
                "module_url": binding.url if binding else None,
                "module_bound_at": format_utc(binding.time_updated) if binding else None,
                "adapter": _adapter(provider.id),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("provider", "name", "country", "type", "auth module", "adapter")
    for row in rows:
        table.add_row(
            row["provider_id"],
            row["display_name"],
            row["country_code"],
            row["integration_type"],
            row["module_url"] or "-",
            row["adapter"] or "-",
        )
    Console(width=160).print(table)


def _adapter(provider_id: str) -> str | None:
    """Which modes a built-in adapter serves, if any."""
    if adapter_for(provider_id, live_mode=True) is not None:
        return "test and live"
    if adapter_for(provider_id, live_mode=False) is not None:
        return "test mode"
    return None
