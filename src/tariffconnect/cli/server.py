"""Server commands: `serve` the API, `migrate` the database, run the background `worker`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
import uvicorn

from tariffconnect.cli import demo
from tariffconnect.cli.database import open_database
from tariffconnect.cli.protocol import ErrorObjectHttpToolsProtocol
from tariffconnect.config import Settings
from tariffconnect.core import logs, memory
from tariffconnect.runtime import Runtime
from tariffconnect.worker import build_runner

app = typer.Typer()


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    with open_database(Settings()):
        pass  # opening the database is what migrates it
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Migrate, then serve the API."""
    settings = Settings()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    with open_database(settings) as db:
        if settings.demo_account:
            demo.greet(db, settings)
    _log_to_stderr(settings)
    # Worker processes build their app from the environment: pass the overrides on through it.
    os.environ["TARIFFCONNECT_HOST"] = settings.host
    os.environ["TARIFFCONNECT_PORT"] = str(settings.port)
    uvicorn.run(
        "tariffconnect.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        # The guard logs requests itself when asked (TARIFFCONNECT_ACCESS_LOG), structured.
        access_log=False,
        # Its own 400s (a request the parser refuses) as error objects (cli/protocol.py).
        http=ErrorObjectHttpToolsProtocol,
        # JSON: uvicorn's loggers go to the root handler (core/logs.py) instead of its own.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )


@app.command()
def worker() -> None:
    """Run the background worker: periodic tasks, queued jobs and webhook delivery (also runs
    inside `serve` unless disabled)."""
    settings = Settings()
    memory.limit_malloc_arenas(settings.malloc_arena_max)
    with open_database(settings) as db:
        _log_to_stderr(settings)
        asyncio.run(_until_signalled(build_runner(Runtime(settings=settings, db=db)).run))
    _exit_past_lingering_threads()


def _exit_past_lingering_threads() -> None:
    """Exit now, even with a task's thread still running after the runner's grace period.

    Python would join that thread at exit, so the worker would live as long as the task (a
    hung feed call: minutes). Its lease runs out and another worker runs it again.
    """
    main = threading.main_thread()
    if any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate()):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _log_to_stderr(settings: Settings) -> None:
    """Log at INFO, as uvicorn does, so the server's and the worker's lines read alike."""
    logs.configure(settings.log_format)


async def _until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Await `run(stop)`, setting `stop` on SIGINT or SIGTERM so that it can finish cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)
