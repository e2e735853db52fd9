"""Market commands: `market fetch` (now, or a backfill), `market import` and `market status`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tariffconnect import hooks
from tariffconnect.cli.database import open_database
from tariffconnect.cli.options import AsJson, fail
from tariffconnect.config import Settings
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.market import fetching, imports, ingest, sources, store
from tariffconnect.market.models import MarketSourceState
from tariffconnect.market.sources import MarketSource

T = TypeVar("T")
app = typer.Typer()
market_app = typer.Typer(no_args_is_help=True, help="Market prices: fetch them, see how they are.")
app.add_typer(market_app, name="market")

SourceOption = Annotated[
    str | None, typer.Option("--source", help="A source's slug (de-lu) or id (mrs_…).")
]
DayOption = Annotated[str | None, typer.Option(help="A local delivery day, YYYY-MM-DD.")]


@market_app.command("fetch")
def fetch(source: SourceOption = None, start: DayOption = None, end: DayOption = None) -> None:
    """Fetch prices now: today and tomorrow by default, or the days from --start to --end."""
    chosen = _sources(source)
    first = _day(start, "start") if start else None
    last = _day(end, "end") if end else None
    settings = Settings()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    hooks.install()
    now = utcnow()
    plan = []
    for each in chosen:
        today = now.astimezone(ingest.delivery_zone(each)).date()
        days = (first or today, last or (first or today) + timedelta(days=1))
        if days[1] < days[0]:
            raise typer.BadParameter("--end is before --start")
        plan.append((each, *days))
    with open_database(settings) as db, Progress(transient=True) as progress:

        def track(items: Sequence[T], description: str) -> Iterator[T]:
            yield from progress.track(items, total=len(items), description=description)

        outcomes = fetching.fetch_many(settings, db, plan, now=now, track=track)
    for outcome in outcomes:
        typer.echo(_line(outcome))
    if (source and outcomes[0].failed) or all(o.feed is None for o in outcomes):
        raise typer.Exit(1)


@market_app.command("import")
def import_(
    file: Annotated[typer.FileText, typer.Argument(help="CSV: start,minutes,price")],
    source: Annotated[str, typer.Option("--source", help="A source's slug or id.")],
) -> None:
    """Load prices from a CSV file (docs/market-prices.md), all or nothing."""
    [chosen] = _sources(source)
    try:
        rows = imports.read(file, chosen)
    except imports.CsvError as error:
        raise fail(str(error)) from None
    hooks.install()
    now = utcnow()
    with open_database(Settings()) as db, db.transaction() as session:
        stored = store.upsert(session, source_id=chosen.id, rows=rows, feed=imports.FEED, now=now)
    typer.echo(
        f"{chosen.slug}: {stored.inserted} new, {stored.revised} revised, "
        f"{stored.unchanged} unchanged"
    )


@market_app.command("status")
def status(as_json: AsJson = False) -> None:
    """Per source: its feeds, the last published interval, the feed used, the last error."""
    rows = []
    with open_database(Settings()) as db, db.transaction(write=False) as session:
        for source in sources.all_sources():
            latest = store.last_published(session, source_id=source.id)
            state = session.get(MarketSourceState, source.id)
            rows.append(
                {
                    "source": source.slug,
                    "id": source.id,
                    "feeds": list(source.feeds),
                    "last_published_until": format_utc(latest[1]) if latest else None,
                    "feed": latest[2] if latest else None,
                    "checked_at": format_utc(state.checked_at) if state else None,
                    "error": state.error if state else None,
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("source", "feeds", "published until", "feed", "checked", "last error")
    for row in rows:
        table.add_row(
            *(
                _cell(row[key])
                for key in (
                    "source",
                    "feeds",
                    "last_published_until",
                    "feed",
                    "checked_at",
                    "error",
                )
            )
        )
    Console(width=160).print(table)


def _sources(named: str | None) -> list[MarketSource]:
    if named is None:
        return list(sources.all_sources())
    found = sources.find(named)
    if found is not None:
        return [found]
    raise fail(f"no market source {named!r} (see `tariffconnect market status`)")


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--{name} must be a day, YYYY-MM-DD") from None


def _line(outcome: ingest.Outcome) -> str:
    stored = outcome.stored
    if outcome.feed is not None:
        text = (
            f"{outcome.source.slug}: {stored.inserted} new, {stored.revised} revised, "
            f"{stored.unchanged} unchanged (from {outcome.feed})"
        )
    else:
        text = f"{outcome.source.slug}: nothing stored"
    if outcome.problems:
        text += f"; {'; '.join(outcome.problems)}"
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, list) else str(value)
