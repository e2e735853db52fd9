"""What one running service holds: its settings and its database."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from tariffconnect.config import Settings
from tariffconnect.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database


def runtime_of(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def public_base_url(connection: HTTPConnection) -> str:
    """settings.public_base_url when set (behind a proxy the request's own host may be an
    internal one), else the URL the caller used to reach us; no trailing slash."""
    configured = runtime_of(connection).settings.public_base_url
    return (configured or str(connection.base_url)).rstrip("/")
