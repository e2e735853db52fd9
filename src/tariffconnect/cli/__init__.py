"""The `tariffconnect` command: serve, migrate, the worker, accounts and API keys, webhooks,
background jobs, OpenADR clients and feed tokens."""

from __future__ import annotations

import typer

from tariffconnect.cli import (
    accounts,
    feeds,
    integrations,
    jobs,
    library,
    market,
    openadr,
    providers,
    server,
    webhooks,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
# Each group module has a Typer without a name, so its commands and sub-groups land at the top
# level; the order here is the order `--help` lists them in.
for group in (
    server.app,
    accounts.app,
    webhooks.app,
    jobs.app,
    market.app,
    library.app,
    openadr.app,
    feeds.app,
    providers.app,
    integrations.app,
):
    app.add_typer(group)


def main() -> None:
    """Run the `tariffconnect` command."""
    app()
