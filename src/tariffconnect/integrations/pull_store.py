"""The pull's database steps: (1) load a connection and open its credentials, in a read
transaction; (3) store what the provider answered, in a write transaction that locks the
connection's row, unless the connection was deleted or reset meanwhile (integrations/pull.py
asks the provider in between, outside any transaction)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.core.scoping import Scope, get_owned
from tariffconnect.core.timeutil import as_utc, format_utc
from tariffconnect.events import service as events
from tariffconnect.integrations import credentials, sdk_tariff
from tariffconnect.integrations.adapters.base import NotYet
from tariffconnect.integrations.models import (
    CONNECTED,
    ERROR,
    AuthMetadata,
    AuthModule,
    DirectConnection,
)
from tariffconnect.integrations.sdk_tariff import Captured, PullFailed
from tariffconnect.integrations.vault import VaultError
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED as TARIFF_CONNECTED
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.schemas import TariffCreate

PREFIX = "dcn"
DELETED = "DELETED"  # PullResult.status: the connection went away during the pull
MIN_REFRESH = timedelta(minutes=15)
JITTER = 0.1
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class PullResult:
    """How a pull went: the connection's status after it, whether a new tariff was stored,
    why it failed (None when it did not), and the connected tariff's id."""

    status: str
    changed: bool
    reason: str | None
    tariff_id: str | None


@dataclass(frozen=True, slots=True)
class Loaded:
    """What step 1 read: enough to ask the provider and to write the outcome."""

    connection_id: str
    scope: Scope
    location_id: str
    timezone: str
    provider_id: str
    auth_metadata_id: str
    module_url: str | None  # a bound module wins over a built-in adapter
    credentials: dict[str, str]
    reference: dict[str, Any]
    fault: str | None  # the credentials did not open
    answer_digest: str | None  # of the answer that stored the connected tariff
    pulls: int  # pulls attempted before this one (the sandbox's scenarios read it)
    tariff_id: str | None
    tariff_current: bool  # that tariff is still the location's connected DIRECT one


# Step 1 in one statement: the connections, their locations' zones, their sealed credentials,
# their providers' modules and whether the tariff each last stored is still the connected one.
_LOAD = (
    select(
        DirectConnection,
        Location.timezone,
        AuthMetadata.sealed,
        AuthModule.url,
        Tariff.status,
        Tariff.connection_type,
    )
    .join(
        Location,
        (Location.id == DirectConnection.location_id)
        & (Location.account_id == DirectConnection.account_id)
        & (Location.live_mode == DirectConnection.live_mode),
    )
    .outerjoin(
        AuthMetadata,
        (AuthMetadata.id == DirectConnection.auth_metadata_id)
        & (AuthMetadata.account_id == DirectConnection.account_id)
        & (AuthMetadata.live_mode == DirectConnection.live_mode),
    )
    .outerjoin(AuthModule, AuthModule.provider_id == DirectConnection.provider_id)
    .outerjoin(
        Tariff,
        (Tariff.id == DirectConnection.tariff_id)
        & (Tariff.account_id == DirectConnection.account_id)
        & (Tariff.live_mode == DirectConnection.live_mode),
    )
    .where(DirectConnection.id.in_(bindparam("ids", expanding=True)))
)


def load(session: Session, secret: bytes, connection_id: str) -> Loaded | None:
    """Step 1 for one connection; None when it is gone."""
    return load_many(session, secret, [connection_id]).get(connection_id)


def load_many(session: Session, secret: bytes, ids: Sequence[str]) -> dict[str, Loaded]:
    """Step 1 for a refresh round, in one statement: each connection still there, by id."""
    if not ids:
        return {}
    found = session.execute(_LOAD, {"ids": list(ids)})
    return {row[0].id: _loaded(secret, *row) for row in found}


def _loaded(
    secret: bytes,
    row: DirectConnection,
    timezone: str,
    sealed: bytes | None,
    module_url: str | None,
    tariff_status: str | None,
    tariff_connection: str | None,
) -> Loaded:
    fault, opened = None, None
    if sealed is None:
        fault = "the stored credentials are gone"
    else:
        try:
            opened = credentials.open_sealed(secret, sealed)
        except VaultError:
            fault = "the stored credentials do not open (was the secret key changed?)"
    return Loaded(
        connection_id=row.id,
        scope=Scope(row.account_id, row.live_mode),
        location_id=row.location_id,
        timezone=timezone,
        provider_id=row.provider_id,
        auth_metadata_id=row.auth_metadata_id,
        module_url=module_url,
        credentials=opened[0] if opened else {},
        reference=dict(opened[1] or {}) if opened else {},
        fault=fault,
        answer_digest=row.answer_digest,
        pulls=row.pulls,
        tariff_id=row.tariff_id,
        tariff_current=(tariff_status, tariff_connection) == (TARIFF_CONNECTED, "DIRECT"),
    )


@dataclass(frozen=True, slots=True)
class Again:
    """The answer that stored the connected tariff, again: not checked a second time."""

    answer: Any
    expires: datetime | None


Outcome = Captured | Again | NotYet | PullFailed


def store(
    session: Session,
    runtime: Runtime,
    loaded: Loaded,
    outcome: Outcome,
    digest: str | None,
    now: datetime,
) -> PullResult:
    """Step 3: the outcome stored on the locked row (a tariff, a failure, or a retry)."""
    row = get_owned(
        session, DirectConnection, loaded.scope, loaded.connection_id, prefix=PREFIX, lock=True
    )
    if row is None or row.auth_metadata_id != loaded.auth_metadata_id:
        return PullResult(DELETED, False, "the connection was deleted", None)
    settings = runtime.settings
    row.pulls += 1  # under the row's lock: two pulls never count as one
    row.claimed_until = None  # this pull is over: the next refresh or an operator may claim it
    row.last_attempt_at = now
    retry = now + timedelta(minutes=settings.direct_retry_minutes)
    if isinstance(outcome, NotYet):
        row.next_refresh_at = retry
        return PullResult(row.status, False, None, row.tariff_id)
    if isinstance(outcome, Again) and not _unchanged(loaded, row, digest):
        outcome = _parsed(outcome.answer, loaded.timezone)  # the row changed during the pull
    changed = False
    if isinstance(outcome, Captured) and _unchanged(loaded, row, digest):
        pass  # the answer that stored the connected tariff again: nothing to compare or store
    elif isinstance(outcome, Captured):
        row.answer_digest = None
        try:
            with session.begin_nested():
                changed = _keep(session, loaded, row, outcome)
            row.answer_digest = digest
        except ApiError as refused:
            outcome = PullFailed(f"the tariff was refused: {refused.code}: {refused.message}")
    if isinstance(outcome, PullFailed):
        _failed(session, runtime, loaded, row, outcome.reason, now)
        row.next_refresh_at = retry
        return PullResult(row.status, False, row.last_error, row.tariff_id)
    assert isinstance(outcome, Captured | Again)
    row.status, row.last_success_at = CONNECTED, now
    row.failing_since = row.last_error = row.fetch_failed_at = None
    row.next_refresh_at = _next_refresh(now, settings.direct_refresh_hours, outcome.expires)
    return PullResult(CONNECTED, changed, None, row.tariff_id)


# `store` of an answer that is the one which stored the connected tariff, for a whole refresh
# round at once: one UPDATE per row, sent as one executemany on the session's connection (so
# Core: no row object, no lock taken first). Its WHERE is what `store` checks under the row's
# lock (the same credentials, answer digest and tariff, and CONNECTED); a row that no longer
# matches stays claimed, and goes to `store` alone. It sets what `store` sets for such an answer.
_UNCHANGED = (
    update(DirectConnection)
    .where(
        DirectConnection.id == bindparam("b_id"),
        DirectConnection.auth_metadata_id == bindparam("b_amd"),
        DirectConnection.answer_digest == bindparam("b_digest"),
        DirectConnection.tariff_id == bindparam("b_tariff"),
        DirectConnection.status == CONNECTED,
    )
    .values(
        pulls=DirectConnection.pulls + 1,
        claimed_until=None,
        last_attempt_at=bindparam("b_now"),
        last_success_at=bindparam("b_now"),
        failing_since=None,
        last_error=None,
        fetch_failed_at=None,
        next_refresh_at=bindparam("b_next"),
    )
)


@dataclass(frozen=True, slots=True)
class Unchanged:
    """What `store_unchanged` made of a round's unchanged answers: the ids stored, those to
    store one by one (`store`), and those deleted during the pull."""

    stored: list[str]
    alone: list[str]
    deleted: list[str]


def store_unchanged(
    session: Session,
    runtime: Runtime,
    answers: Sequence[tuple[Loaded, Again, str]],
    now: datetime,
) -> Unchanged:
    """Step 3 for the round's answers that are, by digest, the connected tariff's again."""
    if not answers:
        return Unchanged([], [], [])
    hours = runtime.settings.direct_refresh_hours
    ids = [loaded.connection_id for loaded, _, _ in answers]
    params = [
        {
            "b_id": loaded.connection_id,
            "b_amd": loaded.auth_metadata_id,
            "b_digest": digest,
            "b_tariff": loaded.tariff_id,
            "b_now": now,
            "b_next": _next_refresh(now, hours, again.expires),
        }
        for loaded, again, digest in answers
        if loaded.tariff_current
    ]
    matched = session.connection().execute(_UNCHANGED, params).rowcount if params else 0
    if matched == len(ids):
        return Unchanged(ids, [], [])
    # Some rows changed during the pull (rare): which are gone, which still wait for `store`.
    query = select(DirectConnection.id, DirectConnection.claimed_until).where(
        DirectConnection.id.in_(ids)
    )
    still = {cid: claimed for cid, claimed in session.execute(query)}
    return Unchanged(
        stored=[i for i in ids if i in still and still[i] is None],
        alone=[i for i in ids if i in still and still[i] is not None],
        deleted=[i for i in ids if i not in still],
    )


def _parsed(answer: Any, timezone: str) -> Captured | PullFailed:
    try:
        return sdk_tariff.parse(answer, timezone=timezone)
    except PullFailed as failed:
        return failed


def _unchanged(loaded: Loaded, row: DirectConnection, digest: str | None) -> bool:
    """The answer is the one that stored the tariff, which is still connected (as read in
    step 1, and the row under the lock still points at it)."""
    return (
        digest is not None
        and loaded.tariff_current
        and row.answer_digest == digest
        and row.tariff_id == loaded.tariff_id
        and row.status == CONNECTED
    )


def _current(session: Session, row: DirectConnection, direction: str | None = None) -> Any:
    wanted = (direction or row.tariff_direction, row.tariff_type)
    for tariff in tariffs.connected(session, location_ids=[row.location_id]):
        if (tariff.tariff_direction, tariff.tariff_type) == wanted:
            return tariff
    return None


def _keep(session: Session, loaded: Loaded, row: DirectConnection, got: Captured) -> bool:
    """Store the pulled tariff unless the connected one is already it; whether it changed.
    An export tariff pulled with it (an adapter's `export`, as Octopus's Outgoing) is kept
    the same way as the location's EXPORT tariff of the same type."""
    row.tariff_id, changed = _store_unless_same(session, loaded, row, row.tariff_direction, got)
    if got.export is not None and row.tariff_direction != "EXPORT":
        _, exported = _store_unless_same(session, loaded, row, "EXPORT", got.export)
        changed = changed or exported
    return changed


def _store_unless_same(
    session: Session,
    loaded: Loaded,
    row: DirectConnection,
    direction: str,
    got: Captured,
) -> tuple[str, bool]:
    """The location's connected `direction` tariff's id once `got` is stored (unless it is
    the connected one already), and whether it was."""
    current = _current(session, row, direction)
    end = got.contract_end_date
    if (
        current is not None
        and current.connection_type == "DIRECT"
        and current.display_name == got.display_name
        and current.schedule == got.schedule
        and current.market_source_id == got.market_source_id
        and current.standing_charge == got.standing_charge
        and (None if current.contract_end_date is None else as_utc(current.contract_end_date))
        == end
    ):
        return current.id, False
    data = TariffCreate.model_validate(
        {
            "location_id": row.location_id,
            "tariff_direction": direction,
            "tariff_type": row.tariff_type,
            "display_name": got.display_name,
            "provider_id": row.provider_id,
            "market_rates": got.market_source_id is not None,
            "market_source_id": got.market_source_id,
            "contract_end_date": None if end is None else format_utc(end),
            "schedule": got.schedule,
            "standing_charge": None
            if got.standing_charge is None
            else {"value": got.standing_charge},
        }
    )
    out = tariffs.create(session, scope=loaded.scope, data=data, connection_type="DIRECT")
    return out.id, True


def _failed(
    session: Session,
    runtime: Runtime,
    loaded: Loaded,
    row: DirectConnection,
    reason: str,
    now: datetime,
) -> None:
    """Record a failed pull; past the setting's hours of failures, ERROR and (once per run
    of failures) `tariff.fetch.failed`."""
    row.last_error = reason[:MAX_REASON_LENGTH]
    if row.failing_since is None:
        row.failing_since = now
    after = timedelta(hours=runtime.settings.direct_fetch_failed_after_hours)
    if now - as_utc(row.failing_since) < after:
        return
    row.status = ERROR
    if row.fetch_failed_at is not None:
        return
    row.fetch_failed_at = now
    current = _current(session, row)
    data: Any = (
        tariffs.render(current)
        if current is not None
        else {
            "location_id": row.location_id,
            "tariff_direction": row.tariff_direction,
            "tariff_type": row.tariff_type,
            "provider_id": row.provider_id,
            "reason": row.last_error,
        }
    )
    object_id = current.id if current is not None else row.location_id
    events.record(
        session, scope=loaded.scope, type="tariff.fetch.failed", object_id=object_id, data=data
    )


def _next_refresh(now: datetime, hours: float, expires: datetime | None) -> datetime:
    """In about `hours` (jittered so connections made together spread out), or at the
    tariff's expiry if sooner; never within 15 minutes."""
    due_at = now + timedelta(hours=hours * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311
    if expires is not None and expires < due_at:
        due_at = expires
    return max(due_at, now + MIN_REFRESH)
