"""One instance of a process-wide cache per database, found by the database's URL.

Caches of what the database holds (published market days, API key states) live as long as the
process, but a process can talk to several databases (the tests do, a CLI command may): each
database gets its own instance, and engines of one database share it, since what keeps a cache
right (version tokens, a generation counter) is read from the database itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")


class PerDatabase(Generic[T]):
    """`of(engine)`: the instance for the engine's database, made by `factory` on first use."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._instances: dict[str, T] = {}
        self._lock = threading.Lock()

    def of(self, engine: Engine) -> T:
        url = engine.url.render_as_string(hide_password=False)
        with self._lock:
            found = self._instances.get(url)
            if found is None:
                found = self._instances[url] = self._factory()
            return found
