"""What the account, key and webhook commands share: their options, and how they fail."""

from __future__ import annotations

from typing import Annotated

import typer

from tariffconnect.core.scoping import Scope

AccountId = Annotated[str, typer.Option("--account", help="Account id (acc_…).")]
Mode = Annotated[str, typer.Option("--mode", help="test or live")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def live_mode(mode: str) -> bool:
    """True for `live`, False for `test`; anything else is a usage error (exit code 2)."""
    if mode not in ("test", "live"):
        raise typer.BadParameter("mode must be test or live")
    return mode == "live"


def scope_of(account_id: str, mode: str) -> Scope:
    """The account and mode a command acts in."""
    return Scope(account_id=account_id, live_mode=live_mode(mode))


def fail(message: str) -> typer.Exit:
    """Say what went wrong on stderr; the caller raises the returned exit (code 1)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)
