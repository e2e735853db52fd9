"""API key states kept per process: an authenticated request does no SQL for its key.

Every request with a bearer token checks that the token's key still exists, is unrevoked and
belongs to the token's account and mode (GET /account also wants the account's name). Read
from the database each time, that was most of a small request's cost: a transaction begun
for it and a round trip. Keys change rarely, so each process keeps the states it has read, by
key id, at most MAX_KEYS of them (least recently used out first).

Staleness: every change to a key or an account moves `account_changes.generation` in the
change's own transaction (accounts.service). A process reads the generation again on its first
request once CHECK_EVERY has passed since it last did, and drops every state when it moved. So
a revocation made anywhere (another process, another machine on PostgreSQL, the CLI) is
refused everywhere within CHECK_EVERY plus a request's time. A change committed through this
process makes it read the generation on its next request (`forget`), so here it holds at once.
A state read while the generation moved is not kept (`_keep`): a read from before the change
cannot outlive the check that would have dropped it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, event, select, update
from sqlalchemy.orm import Session

from tariffconnect.accounts.models import Account, AccountChanges, ApiKey
from tariffconnect.db.per_database import PerDatabase

CHECK_EVERY = 0.5  # seconds: the issue allows a revocation 1 s to reach every process
MAX_KEYS = 10_000  # about 3 MB of states

_STATE = (
    select(
        ApiKey.account_id,
        ApiKey.live_mode,
        ApiKey.time_revoked,
        Account.name,
        Account.time_created,
    )
    .join(Account, Account.id == ApiKey.account_id)
    .where(ApiKey.id == bindparam("key_id"))
)
_GENERATION = select(AccountChanges.generation).where(AccountChanges.id == 1)
_BUMP = (
    update(AccountChanges)
    .where(AccountChanges.id == 1)
    .values(generation=AccountChanges.generation + 1)
)


@dataclass(frozen=True, slots=True)
class KeyState:
    """What a request needs to know of its token's key (and the key's account)."""

    account_id: str
    live_mode: bool
    revoked: bool
    account_name: str
    account_time_created: datetime


class KeyStates:
    """The key states one process has read from one database, under one generation."""

    def __init__(
        self,
        *,
        max_keys: int = MAX_KEYS,
        check_every: float = CHECK_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_keys = max_keys
        self._check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._states: OrderedDict[str, KeyState] = OrderedDict()
        self._generation: int | None = None
        self._checked = -math.inf

    def state(self, session: Session, key_id: str) -> KeyState | None:
        """The key's state, from memory or read in `session`'s transaction; None if no such key."""
        generation = self._current_generation(session)
        with self._lock:
            found = self._lookup(key_id)
        if found is not None:
            return found
        row = session.connection().execute(_STATE, {"key_id": key_id}).one_or_none()
        if row is None:
            return None
        state = KeyState(
            account_id=row.account_id,
            live_mode=row.live_mode,
            revoked=row.time_revoked is not None,
            account_name=row.name,
            account_time_created=row.time_created,
        )
        self._keep(key_id, state, generation)
        return state

    def in_memory(self, key_id: str) -> KeyState | None:
        """The key's state when memory alone may answer: the key is known and the generation was
        checked within CHECK_EVERY. None means ask `state` (in a transaction)."""
        with self._lock:
            if self._fresh_generation(self._clock()) is None:
                return None
            return self._lookup(key_id)

    def forget(self) -> None:
        """Read the generation again on the next request (a change was committed here)."""
        with self._lock:
            self._checked = -math.inf

    def __len__(self) -> int:
        return len(self._states)

    def _current_generation(self, session: Session) -> int:
        now = self._clock()
        with self._lock:
            fresh = self._fresh_generation(now)
        if fresh is not None:
            return fresh
        read = int(session.connection().execute(_GENERATION).scalar_one())
        with self._lock:
            # Not "greater than": a database made again from scratch starts over at 0.
            if read != self._generation:
                self._states.clear()
                self._generation = read
            self._checked = now
            return read

    def _fresh_generation(self, now: float) -> int | None:
        """The generation, if read within CHECK_EVERY (the caller holds the lock)."""
        if self._generation is not None and now - self._checked < self._check_every:
            return self._generation
        return None

    def _lookup(self, key_id: str) -> KeyState | None:
        """The key's kept state, now the most recently used (the caller holds the lock)."""
        found = self._states.get(key_id)
        if found is not None:
            self._states.move_to_end(key_id)
        return found

    def _keep(self, key_id: str, state: KeyState, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._states[key_id] = state
            self._states.move_to_end(key_id)
            while len(self._states) > self.max_keys:
                self._states.popitem(last=False)


_PER_DATABASE = PerDatabase(KeyStates)


def key_states(session: Session) -> KeyStates:
    """This process's key states for the database `session` works on."""
    return _PER_DATABASE.of(session.get_bind().engine)


def key_states_of(engine: Engine) -> KeyStates:
    """This process's key states for `engine`'s database."""
    return _PER_DATABASE.of(engine)


def changed(session: Session) -> None:
    """Record, in `session`'s transaction, that an account or key changed: every process drops
    its key states within CHECK_EVERY, and this one as soon as the transaction commits."""
    session.execute(_BUMP)
    states = key_states(session)
    if not session.info.get("forgets_key_states"):
        session.info["forgets_key_states"] = True
        # A Session object lives for one transaction here (db.Database.transaction).
        event.listen(session, "after_commit", lambda _session: states.forget())
