"""Blocking work run in worker threads, under a deadline.

Handlers are plain functions that talk to the database, so each request crosses into anyio's
thread pool once. A database that stops answering without closing its connections (a frozen
server, a network that drops packets) would hold that request, and its client, for as long as
it lasts. So the event loop waits at most `seconds`: then the client gets 503
`database_unavailable`, and the thread is abandoned, left to finish on its own (a thread
cannot be stopped; its statement ends by the database's statement timeout, its connection by
TCP keepalives, or both when the database answers again). Its transaction commits or rolls
back as it would have: a write that was late may still land, which is what the 503 says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio import to_thread

from tariffconnect.core.errors import database_unavailable

T = TypeVar("T")


async def in_thread(work: Callable[..., T], *args: Any, seconds: float) -> T:
    """`work(*args)` in a worker thread; 503 `database_unavailable` after `seconds`."""
    try:
        with anyio.fail_after(seconds):
            return await to_thread.run_sync(work, *args, abandon_on_cancel=True)
    except TimeoutError:
        raise database_unavailable() from None
