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
