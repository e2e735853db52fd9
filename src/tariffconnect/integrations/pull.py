"""The pull: a DIRECT connection's tariff read from its module or adapter and stored.

Three steps, so no transaction is held open across the network: (1) a read transaction loads
the connection and opens its credentials; (2) outside any transaction the module
(`/api/tariff_plan`) or the adapter (`capture` then `convert`) is asked, and the answer checked
(integrations/sdk_tariff.py); (3) a write transaction, locking the connection's row, stores
the outcome, unless the connection was deleted or reset meanwhile (steps 1 and 3:
integrations/pull_store.py).

A connection is pulled only by whoever claimed it (`claimed_until`): the refresh, an
operator's pass, or the Connect flow, which opens it claimed for its first pull.

A `PullResult` with a `reason` is a failed pull; PENDING without a reason is a tariff the
provider has not published yet (NotYet).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import utcnow
from tariffconnect.integrations import credentials, module_client, pull_store, sdk_tariff
from tariffconnect.integrations.adapters.base import NotYet, Unavailable
from tariffconnect.integrations.adapters.registry import adapter_for
from tariffconnect.integrations.models import CONNECTED, PENDING, DirectConnection
from tariffconnect.integrations.pull_store import (
    DELETED,
    PREFIX,
    Again,
    Loaded,
    Outcome,
    PullResult,
)
from tariffconnect.integrations.sdk_tariff import Captured, PullFailed
from tariffconnect.locations import service as locations
from tariffconnect.runtime import Runtime
from tariffconnect.webhooks.urls import parse_allowed_networks

__all__ = [
    "CLAIM",
    "DELETED",
    "PREFIX",
    "PullResult",
    "disconnect",
    "due",
    "open_connection",
    "pull_many",
]

log = logging.getLogger(__name__)

# A claimed connection is left alone this long by every other claimer; a claimer that dies
# mid-pull leaves it claimable again after it. The pull's store step releases the claim.
CLAIM = timedelta(minutes=10)


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
    claimed: bool = True,
) -> str:
    """Connect the location's tariff element DIRECT (replacing a previous connection and its
    credentials): PENDING, due for its first pull now, and claimed (unless not `claimed`) by
    the caller, who pulls it first: no refresh pulls it at the same time. The new `dcn_` id."""
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
        claimed_until=now + CLAIM if claimed else None,
        pulls=0,
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
    """Ids of the connections due for a pull and not claimed, the most overdue first (across
    accounts)."""
    query = (
        select(DirectConnection.id)
        .where(DirectConnection.next_refresh_at <= now, unclaimed(now))
        .order_by(DirectConnection.next_refresh_at, DirectConnection.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def unclaimed(now: datetime) -> Any:
    """The condition of a connection nobody has claimed (or whose claim ran out)."""
    return or_(DirectConnection.claimed_until.is_(None), DirectConnection.claimed_until <= now)


_GONE = PullResult(DELETED, False, "the connection was deleted", None)


def pull(runtime: Runtime, connection_id: str, *, now: datetime | None = None) -> PullResult:
    """Pull the connection's tariff once and store what came of it."""
    with runtime.db.transaction(write=False) as session:
        loaded = pull_store.load(session, runtime.settings.signing_secret, connection_id)
    if loaded is None:
        return _GONE
    outcome, digest = _ask(runtime, loaded)
    return _store(runtime, loaded, outcome, digest, now or utcnow())


def pull_many(
    runtime: Runtime, ids: Sequence[str], *, now: datetime, pullers: int
) -> dict[str, PullResult | Exception]:
    """Pull a refresh round's connections, `pullers` at a time: each id's result (or the
    error that stopped its pull).

    One read loads them all. An answer that is, by digest, the one which stored the connected
    tariff (the usual refresh) is stored with the others like it in one write at the end; any
    other outcome is stored at once, in its own transaction, as `pull` stores it."""
    with runtime.db.transaction(write=False) as session:
        loaded = pull_store.load_many(session, runtime.settings.signing_secret, ids)
    results: dict[str, PullResult | Exception] = {i: _GONE for i in ids if i not in loaded}
    unchanged: list[tuple[Loaded, Again, str]] = []

    def one(item: Loaded) -> None:
        try:
            outcome, digest = _ask(runtime, item)
            if isinstance(outcome, Again) and digest is not None:
                unchanged.append((item, outcome, digest))  # list.append is atomic
            else:
                results[item.connection_id] = _store(runtime, item, outcome, digest, now)
        except Exception as error:  # one connection's fault must not stop the others
            results[item.connection_id] = error

    with ThreadPoolExecutor(max_workers=pullers, thread_name_prefix="pull") as pool:
        list(pool.map(one, loaded.values()))
    with runtime.db.transaction() as session:
        kept = pull_store.store_unchanged(session, runtime, unchanged, now)
    results.update(dict.fromkeys(kept.deleted, _GONE))
    stored, alone = set(kept.stored), set(kept.alone)
    for item, outcome, digest in unchanged:
        cid = item.connection_id
        if cid in stored:
            results[cid] = PullResult(CONNECTED, False, None, item.tariff_id)
        elif cid in alone:
            results[cid] = _store(runtime, item, outcome, digest, now)
    return results


def _store(
    runtime: Runtime, loaded: Loaded, outcome: Outcome, digest: str | None, now: datetime
) -> PullResult:
    with runtime.db.transaction() as session:
        return pull_store.store(session, runtime, loaded, outcome, digest, now)


def _digest(answer: Any, timezone: str) -> str:
    """What identifies an answer: the same digest means the same tariff would be stored."""
    canonical = orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(timezone.encode() + b"\0" + canonical).hexdigest()


def _checked(loaded: Loaded, answer: Any) -> tuple[Captured | Again, str]:
    """The answer parsed (or known already) and its digest."""
    digest = _digest(answer, loaded.timezone)
    if loaded.tariff_current and digest == loaded.answer_digest:
        return Again(answer, sdk_tariff.expiry(answer)), digest
    return sdk_tariff.parse(answer, timezone=loaded.timezone), digest


def _ask(runtime: Runtime, loaded: Loaded) -> tuple[Outcome, str | None]:
    """The provider's answer, checked, and its digest; never raises (a failure is a
    PullFailed value)."""
    if loaded.fault is not None:
        return PullFailed(loaded.fault), None
    try:
        if loaded.module_url is not None:
            answer = module_client.fetch_tariff_plan(
                loaded.module_url,
                credentials=loaded.credentials,
                reference_id=loaded.connection_id,
                live_mode=loaded.scope.live_mode,
                allow=parse_allowed_networks(runtime.settings.webhook_allowed_networks),
                timeout=runtime.settings.auth_module_timeout_seconds,
            )
            return _checked(loaded, answer)
        adapter = adapter_for(
            loaded.provider_id, live_mode=loaded.scope.live_mode, settings=runtime.settings
        )
        if adapter is None:
            return PullFailed("the provider has no auth module or adapter any more"), None
        reference = {
            **loaded.reference,
            "reference_id": loaded.connection_id,
            "pulls": loaded.pulls,
        }
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
