"""The pull: a DIRECT connection's tariff read from its module or adapter and stored.

Three steps, so no transaction is held open across the network: (1) a read transaction loads
the connection and opens its credentials; (2) outside any transaction the module
(`/api/tariff_plan`) or the adapter (`capture` then `convert`) is asked, and the answer checked
(integrations/sdk_tariff.py); (3) a write transaction, locking the connection's row, stores
the outcome, unless the connection was deleted or reset meanwhile.

A `PullResult` with a `reason` is a failed pull; PENDING without a reason is a tariff the
provider has not published yet (NotYet).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope, get_owned, scoped
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.events import service as events
from tariffconnect.integrations import credentials, module_client, sdk_tariff
from tariffconnect.integrations.adapters.base import NotYet, Unavailable
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.models import (
    CONNECTED,
    ERROR,
    PENDING,
    AuthMetadata,
    AuthModule,
    DirectConnection,
)
from tariffconnect.integrations.sdk_tariff import Captured, PullFailed
from tariffconnect.integrations.vault import VaultError
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import CONNECTED as TARIFF_CONNECTED
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.schemas import TariffCreate
from tariffconnect.webhooks.urls import IPNetwork, parse_allowed_networks

log = logging.getLogger(__name__)

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
class _Loaded:
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
    tariff_id: str | None
    tariff_current: bool  # that tariff is still the location's connected DIRECT one


def _element(session: Session, scope: Scope, location_id: str, direction: str, kind: str) -> Any:
    query = select(DirectConnection).where(
        DirectConnection.location_id == location_id,
        DirectConnection.tariff_direction == direction,
        DirectConnection.tariff_type == kind,
    )
    return session.scalars(scoped(query, DirectConnection, scope)).one_or_none()


def open_connection(
    session: Session,
    *,
    scope: Scope,
    location_id: str,
    direction: str,
    tariff_type: str,
    provider_id: str,
    auth_metadata_id: str,
    now: datetime,
) -> str:
    """Connect the location's tariff element DIRECT (replacing a previous connection and its
    credentials): PENDING, due for its first pull now. The new `dcn_` id."""
    locations.check_exists(session, scope=scope, location_id=location_id)
    old = _element(session, scope, location_id, direction, tariff_type)
    if old is not None:
        _remove(session, scope, old, keep=auth_metadata_id)
    row = DirectConnection(
        id=new_id(PREFIX),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=now,
        location_id=location_id,
        tariff_direction=direction,
        tariff_type=tariff_type,
        provider_id=provider_id,
        auth_metadata_id=auth_metadata_id,
        status=PENDING,
        tariff_id=None,
        next_refresh_at=now,
        last_attempt_at=None,
        last_success_at=None,
        failing_since=None,
        last_error=None,
        fetch_failed_at=None,
    )
    session.add(row)
    session.flush()
    return row.id


def _remove(session: Session, scope: Scope, row: DirectConnection, *, keep: str = "") -> None:
    """Delete the connection and its credentials (unless they are `keep`)."""
    amd_id = row.auth_metadata_id
    session.delete(row)
    session.flush()
    if amd_id != keep:
        credentials.delete(session, scope=scope, auth_metadata_id=amd_id)


def disconnect(
    session: Session, *, scope: Scope, location_id: str, direction: str, tariff_type: str
) -> bool:
    """Delete the element's connection and its credentials; False when there was none."""
    row = _element(session, scope, location_id, direction, tariff_type)
    if row is None:
        return False
    _remove(session, scope, row)
    return True


def due(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Ids of the connections due for a pull, the most overdue first (across accounts)."""
    query = (
        select(DirectConnection.id)
        .where(DirectConnection.next_refresh_at <= now)
        .order_by(DirectConnection.next_refresh_at, DirectConnection.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def pull(runtime: Runtime, connection_id: str, *, now: datetime | None = None) -> PullResult:
    """Pull the connection's tariff once and store what came of it."""
    settings = runtime.settings
    with runtime.db.transaction(write=False) as session:
        loaded = _load(session, settings.signing_secret, connection_id)
    if loaded is None:
        return PullResult(DELETED, False, "the connection was deleted", None)
    outcome, digest = _ask(runtime, loaded)
    moment = now or utcnow()
    with runtime.db.transaction() as session:
        return _store(session, runtime, loaded, outcome, digest, moment)


def _load(session: Session, secret: bytes, connection_id: str) -> _Loaded | None:
    """Step 1 in one statement: the connection, its location's zone, its sealed credentials,
    its provider's module and whether the tariff it last stored is still the connected one."""
    query = (
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
        .where(DirectConnection.id == connection_id)
    )
    found = session.execute(query).one_or_none()
    if found is None:
        return None
    row, timezone, sealed, module_url, tariff_status, tariff_connection = found
    fault, opened = None, None
    if sealed is None:
        fault = "the stored credentials are gone"
    else:
        try:
            opened = credentials.open_sealed(secret, sealed)
        except VaultError:
            fault = "the stored credentials do not open (was the secret key changed?)"
    return _Loaded(
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
        tariff_id=row.tariff_id,
        tariff_current=(tariff_status, tariff_connection) == (TARIFF_CONNECTED, "DIRECT"),
    )


def _digest(answer: Any, timezone: str) -> str:
    """What identifies an answer: the same digest means the same tariff would be stored."""
    canonical = orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(timezone.encode() + b"\0" + canonical).hexdigest()


@dataclass(frozen=True, slots=True)
class _Again:
    """The answer that stored the connected tariff, again: not checked a second time."""

    answer: Any
    expires: datetime | None


Outcome = Captured | _Again | NotYet | PullFailed


def _checked(loaded: _Loaded, answer: Any) -> tuple[Captured | _Again, str]:
    """The answer parsed (or known already) and its digest."""
    digest = _digest(answer, loaded.timezone)
    if loaded.tariff_current and digest == loaded.answer_digest:
        return _Again(answer, sdk_tariff.expiry(answer)), digest
    return sdk_tariff.parse(answer, timezone=loaded.timezone), digest


def _ask(runtime: Runtime, loaded: _Loaded) -> tuple[Outcome, str | None]:
    """The provider's answer, checked, and its digest; never raises (a failure is a
    PullFailed value)."""
    if loaded.fault is not None:
        return PullFailed(loaded.fault), None
    pulls = int(loaded.reference.get("pulls", 0))
    try:
        if loaded.module_url is not None:
            answer = module_client.fetch_tariff_plan(
                loaded.module_url,
                credentials=loaded.credentials,
                reference_id=loaded.connection_id,
                live_mode=loaded.scope.live_mode,
                allow=_allowed(runtime.settings.webhook_allowed_networks),
                timeout=runtime.settings.auth_module_timeout_seconds,
            )
            return _checked(loaded, answer)
        adapter = adapter_for(loaded.provider_id, live_mode=loaded.scope.live_mode)
        if adapter is None:
            return PullFailed("the provider has no auth module or adapter any more"), None
        reference = {**loaded.reference, "reference_id": loaded.connection_id, "pulls": pulls}
        captured = adapter.capture(reference)
        if isinstance(captured, NotYet):
            return captured, None
        if isinstance(captured, Unavailable):
            return PullFailed(captured.reason), None
        return _checked(loaded, adapter.convert(captured))
    except PullFailed as failed:
        return failed, None
    except Exception:  # an adapter's bug must not stop the refresh of every other tariff
        log.exception("the adapter of %s failed", loaded.provider_id)
        return PullFailed("the adapter failed unexpectedly"), None


@functools.lru_cache(maxsize=8)
def _allowed(setting: str) -> tuple[IPNetwork, ...]:
    """The setting's networks, parsed once per value rather than once per pull."""
    return tuple(parse_allowed_networks(setting))


def _store(
    session: Session,
    runtime: Runtime,
    loaded: _Loaded,
    outcome: Outcome,
    digest: str | None,
    now: datetime,
) -> PullResult:
    row = get_owned(
        session, DirectConnection, loaded.scope, loaded.connection_id, prefix=PREFIX, lock=True
    )
    if row is None or row.auth_metadata_id != loaded.auth_metadata_id:
        return PullResult(DELETED, False, "the connection was deleted", None)
    settings = runtime.settings
    if loaded.fault is None and loaded.module_url is None:
        # Only adapters read the count (the sandbox's scenarios); a module is never sent it.
        _count_pull(session, runtime, loaded)
    row.last_attempt_at = now
    retry = now + timedelta(minutes=settings.direct_retry_minutes)
    if isinstance(outcome, NotYet):
        row.next_refresh_at = retry
        return PullResult(row.status, False, None, row.tariff_id)
    if isinstance(outcome, _Again) and not _unchanged(loaded, row, digest):
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
    assert isinstance(outcome, Captured | _Again)
    row.status, row.last_success_at = CONNECTED, now
    row.failing_since = row.last_error = row.fetch_failed_at = None
    row.next_refresh_at = _next_refresh(now, settings.direct_refresh_hours, outcome.expires)
    return PullResult(CONNECTED, changed, None, row.tariff_id)


def _parsed(answer: Any, timezone: str) -> Captured | PullFailed:
    try:
        return sdk_tariff.parse(answer, timezone=timezone)
    except PullFailed as failed:
        return failed


def _unchanged(loaded: _Loaded, row: DirectConnection, digest: str | None) -> bool:
    """The answer is the one that stored the tariff, which is still connected (as read in
    step 1, and the row under the lock still points at it)."""
    return (
        digest is not None
        and loaded.tariff_current
        and row.answer_digest == digest
        and row.tariff_id == loaded.tariff_id
        and row.status == CONNECTED
    )


def _count_pull(session: Session, runtime: Runtime, loaded: _Loaded) -> None:
    """One more pull attempted: `reference["pulls"]`, sealed with the reference. Read again
    under the lock, so credentials replaced during the pull are kept."""
    secret = runtime.settings.signing_secret
    scope, amd_id = loaded.scope, loaded.auth_metadata_id
    try:
        sealed = credentials.load(session, secret=secret, scope=scope, auth_metadata_id=amd_id)
    except VaultError:
        return
    if sealed is None:
        return
    reference = dict(sealed.reference or {})
    reference["pulls"] = int(reference.get("pulls", 0)) + 1
    credentials.replace(
        session,
        secret=secret,
        scope=scope,
        auth_metadata_id=amd_id,
        credentials=sealed.credentials,
        reference=reference,
    )


def _current(session: Session, row: DirectConnection) -> Any:
    for tariff in tariffs.connected(session, location_ids=[row.location_id]):
        if (tariff.tariff_direction, tariff.tariff_type) == (row.tariff_direction, row.tariff_type):
            return tariff
    return None


def _keep(session: Session, loaded: _Loaded, row: DirectConnection, got: Captured) -> bool:
    """Store the pulled tariff unless the connected one is already it; whether it changed."""
    current = _current(session, row)
    end = got.contract_end_date
    if (
        current is not None
        and current.connection_type == "DIRECT"
        and current.display_name == got.display_name
        and current.schedule == got.schedule
        and (None if current.contract_end_date is None else as_utc(current.contract_end_date))
        == end
    ):
        row.tariff_id = current.id
        return False
    data = TariffCreate.model_validate(
        {
            "location_id": row.location_id,
            "tariff_direction": row.tariff_direction,
            "tariff_type": row.tariff_type,
            "display_name": got.display_name,
            "provider_id": row.provider_id,
            "contract_end_date": None if end is None else format_utc(end),
            "schedule": got.schedule,
        }
    )
    out = tariffs.create(session, scope=loaded.scope, data=data, connection_type="DIRECT")
    row.tariff_id = out.id
    return True


def _failed(
    session: Session,
    runtime: Runtime,
    loaded: _Loaded,
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
