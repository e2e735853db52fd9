"""Feed token commands: `feed-token create|list|revoke`.

A feed token opens one location's evcc, Home Assistant and calendar feeds, read-only; it is
shown once, at creation, and stored only as a hash.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.errors import ApiError
from tariffconnect.core.timeutil import format_utc
from tariffconnect.feeds import tokens

app = typer.Typer()
feed_token_app = typer.Typer(no_args_is_help=True, help="Feed tokens (evcc, Home Assistant, .ics).")
app.add_typer(feed_token_app, name="feed-token")

LocationId = Annotated[str, typer.Option("--location", help="The location (loc_…).")]


def _feed_urls(token: str) -> list[str]:
    base = Settings().base_url
    return [
        f"{base}/feeds/{token}/{name}"
        for name in ("evcc.json", "homeassistant.json", "cheapest.ics?hours=3")
    ]


@feed_token_app.command("create")
def feed_token_create(location_id: LocationId, as_json: AsJson = False) -> None:
    """Make a feed token for a location (shown once)."""
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            issued = tokens.create(session, location_id=location_id)
    except ApiError as error:
        raise fail(error.message) from None
    if as_json:
        typer.echo(json.dumps({"token": issued.token}))
        return
    typer.echo(f"{issued.id}  {issued.location_id}\ntoken: {issued.token}")
    for url in _feed_urls(issued.token):
        typer.echo(url)


@feed_token_app.command("list")
def feed_token_list(location_id: LocationId, as_json: AsJson = False) -> None:
    """List a location's feed tokens, revoked ones too (never the tokens themselves)."""
    try:
        with open_database(Settings()) as db, db.transaction(write=False) as session:
            rows = [
                {
                    "id": row.id,
                    "location_id": row.location_id,
                    "token_hint": row.token_hint,
                    "time_created": format_utc(row.time_created),
                    "time_revoked": format_utc(row.time_revoked) if row.time_revoked else None,
                }
                for row in tokens.list_(session, location_id=location_id)
            ]
    except ApiError as error:
        raise fail(error.message) from None
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        status = "revoked" if row["time_revoked"] else "active"
        typer.echo(f"{row['id']}  {status:8}  {row['token_hint']}  {row['time_created']}")


@feed_token_app.command("revoke")
def feed_token_revoke(
    token_id_or_token: Annotated[str, typer.Argument(help="The token's id (fdt_…) or the token.")],
) -> None:
    """Revoke a feed token: its feeds answer 404 from the next request on."""
    try:
        with open_database(Settings()) as db, db.transaction() as session:
            row = tokens.revoke(session, token_id_or_token=token_id_or_token)
            token_id = row.id
    except ApiError as error:
        raise fail(error.message) from None
    typer.echo(f"revoked {token_id}")
