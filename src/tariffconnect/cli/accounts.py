"""Account and API key commands: `account create`, `key create|revoke|list`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tariffconnect.accounts import service as accounts
from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AccountId, AsJson, Mode, fail, live_mode
from tariffconnect.config import Settings
from tariffconnect.core import versions
from tariffconnect.core.errors import ApiError

app = typer.Typer()
account_app = typer.Typer(no_args_is_help=True, help="Accounts.")
key_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(account_app, name="account")
app.add_typer(key_app, name="key")


@account_app.command("create")
def account_create(
    name: Annotated[str, typer.Option(help="Account name.")] = "Default",
    as_json: AsJson = False,
) -> None:
    """Create an account with a test and a live API key (shown once)."""
    with open_database(Settings()) as db, db.transaction() as session:
        account = accounts.create(session, name=name)
        test = accounts.create_key(session, account_id=account.id, live_mode=False)
        live = accounts.create_key(session, account_id=account.id, live_mode=True)
    result = {"account_id": account.id, "test_api_key": test.secret, "live_api_key": live.secret}
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"account id:   {account.id}")
    typer.echo(f"test API key: {test.secret}")
    typer.echo(f"live API key: {live.secret}")
    typer.echo("Keys are shown only now; they are stored as hashes.")


@account_app.command("set-version")
def account_set_version(
    account_id: Annotated[str, typer.Argument(metavar="ACC", help="Account id (acc_…).")],
    version: Annotated[
        str,
        typer.Argument(metavar="VERSION", help=f"A release: {', '.join(versions.RELEASES)}."),
    ],
) -> None:
    """Set the release (Flatpeak-Version) the account's requests answer in by default.

    Bearer tokens minted from now on carry it; a request's Flatpeak-Version header still wins.
    """
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            accounts.set_version(session, account_id=account_id, version=version)
    except ApiError as error:
        raise fail(error.message) from None
    typer.echo(f"{account_id} now answers in {version} by default")


@key_app.command("create")
def key_create(
    account_id: AccountId,
    mode: Mode = "test",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "default",
    as_json: AsJson = False,
) -> None:
    """Create an API key (shown once)."""
    live = live_mode(mode)
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            key = accounts.create_key(session, account_id=account_id, live_mode=live, name=name)
    except ApiError as error:
        raise fail(error.message) from None
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
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            revoked = accounts.revoke_key(session, key_id_or_secret=key)
    except ApiError as error:
        raise fail(error.message) from None
    typer.echo(f"revoked {revoked.id} ({revoked.key_hint})")


@key_app.command("list")
def key_list(account_id: AccountId) -> None:
    """List an account's keys."""
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        for key in accounts.list_keys(session, account_id=account_id):
            state = "revoked" if key.time_revoked else "active"
            mode = "live" if key.live_mode else "test"
            typer.echo(f"{key.id}  {mode}  {state:7}  {key.key_hint}  {key.name}")
