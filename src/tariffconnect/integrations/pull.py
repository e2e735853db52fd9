"""A stand-in for the pull helper's module (branch direct-pull, step 2), with its interface,
so the flow imports; replaced by the real one when that is merged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.integrations.models import PENDING, AuthMetadata, DirectConnection
from tariffconnect.runtime import Runtime


@dataclass(frozen=True, slots=True)
class PullResult:
    status: str
    changed: bool
    reason: str | None
    tariff_id: str | None


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
    disconnect(
        session, scope=scope, location_id=location_id, direction=direction, tariff_type=tariff_type
    )
    row = DirectConnection(
        id=new_id("dcn"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        location_id=location_id,
        tariff_direction=direction,
        tariff_type=tariff_type,
        provider_id=provider_id,
        auth_metadata_id=auth_metadata_id,
        status=PENDING,
        next_refresh_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def pull(runtime: Runtime, connection_id: str, *, now: datetime | None = None) -> PullResult:
    return PullResult(PENDING, False, None, None)


def disconnect(
    session: Session, *, scope: Scope, location_id: str, direction: str, tariff_type: str
) -> None:
    query = scoped(select(DirectConnection), DirectConnection, scope).where(
        DirectConnection.location_id == location_id,
        DirectConnection.tariff_direction == direction,
        DirectConnection.tariff_type == tariff_type,
    )
    for row in session.scalars(query).all():
        session.execute(delete(AuthMetadata).where(AuthMetadata.id == row.auth_metadata_id))
        session.delete(row)
    session.flush()
