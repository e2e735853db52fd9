"""How DIRECT connections stand: the reader that locations and prices see them through
(registered by `install`), and the operator's listing (`tariffconnect integrations status`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from tariffconnect.integrations.models import AuthMetadata, DirectConnection
from tariffconnect.locations import direct_status


def element_states(
    session: Session, location_ids: Sequence[str]
) -> list[direct_status.ElementState]:
    """The DIRECT elements of these locations (the caller has scoped the locations)."""
    rows = session.execute(
        select(
            DirectConnection.location_id,
            DirectConnection.tariff_direction,
            DirectConnection.tariff_type,
            DirectConnection.status,
            DirectConnection.provider_id,
            AuthMetadata.consent_given_at,
        )
        .join(AuthMetadata, AuthMetadata.id == DirectConnection.auth_metadata_id)
        .where(DirectConnection.location_id.in_(list(location_ids)))
        .order_by(DirectConnection.id)
    )
    return [direct_status.ElementState(*row) for row in rows]


def element_texts(location_id: Any) -> Any:
    """The DIRECT elements of the location `location_id` names, as one text (for the read of
    one location in one statement: locations/direct_status.column)."""
    text = (
        DirectConnection.tariff_direction
        + "|"
        + DirectConnection.tariff_type
        + "|"
        + DirectConnection.status
        + "|"
        + DirectConnection.provider_id
        + "|"
        + func.coalesce(cast(AuthMetadata.consent_given_at, String), "")
    )
    return (
        select(func.aggregate_strings(text, ","))
        .select_from(DirectConnection)
        .join(AuthMetadata, AuthMetadata.id == DirectConnection.auth_metadata_id)
        .where(DirectConnection.location_id == location_id)
        .scalar_subquery()
    )


def install() -> None:
    """Let locations and prices see DIRECT elements (called by tariffconnect/hooks.py)."""
    direct_status.on_read(element_states, element_texts)


@dataclass(frozen=True, slots=True)
class ConnectionLine:
    """One connection as `integrations status` lists it: never its credentials."""

    id: str
    location_id: str
    element: str  # e.g. COMMODITY IMPORT
    provider_id: str
    status: str
    last_success_at: datetime | None
    last_error: str | None
    next_refresh_at: datetime


def connections(session: Session, *, location_id: str | None = None) -> list[ConnectionLine]:
    """Every DIRECT connection (of one location when given), by location and element."""
    query = select(DirectConnection)
    if location_id is not None:
        query = query.where(DirectConnection.location_id == location_id)
    query = query.order_by(
        DirectConnection.location_id,
        DirectConnection.tariff_type,
        DirectConnection.tariff_direction,
    )
    return [
        ConnectionLine(
            id=row.id,
            location_id=row.location_id,
            element=f"{row.tariff_type} {row.tariff_direction}",
            provider_id=row.provider_id,
            status=row.status,
            last_success_at=row.last_success_at,
            last_error=row.last_error,
            next_refresh_at=row.next_refresh_at,
        )
        for row in session.scalars(query)
    ]
