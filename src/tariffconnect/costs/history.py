"""Tariff history: which of a location's tariffs priced each moment.

A location has at most one connected tariff per (direction, type); connecting another marks
the old one REPLACED at `time_replaced`. So per type the tariffs, in order of creation, form a
chain: each priced from its predecessor's replacement until its own (the first one also
everything before it, as nothing older is known; the connected one everything after). A
deleted tariff leaves the chain, and with it the time it priced.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.core.timeutil import as_utc
from tariffconnect.tariffs.models import CONNECTED, REPLACED, Tariff


def tariffs_of(session: Session, *, location_id: str, direction: str) -> list[Tariff]:
    """The location's tariffs of a direction that priced (or price) something, oldest first."""
    query = (
        select(Tariff)
        .where(
            Tariff.location_id == location_id,
            Tariff.tariff_direction == direction,
            Tariff.status.in_([CONNECTED, REPLACED]),
        )
        .order_by(Tariff.time_created, Tariff.id)
    )
    return list(session.scalars(query))


def replaced_at(tariff: Tariff) -> datetime | None:
    """When the tariff stopped pricing; None while it is connected."""
    if tariff.status == CONNECTED:
        return None
    moment = tariff.time_replaced or tariff.time_updated
    return as_utc(moment)


def eras(
    tariffs: Sequence[Tariff], *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, tuple[Tariff, ...]]]:
    """[start, end) cut where the tariffs in force change: (from, to, the tariffs then)."""
    chains: dict[str, list[Tariff]] = {}
    for tariff in tariffs:
        chains.setdefault(tariff.tariff_type, []).append(tariff)
    cuts = sorted(
        {
            moment
            for tariff in tariffs
            if (moment := replaced_at(tariff)) is not None and start < moment < end
        }
    )
    bounds = [start, *cuts, end]
    found = []
    for low, high in pairwise(bounds):
        found.append((low, high, tuple(_in_force(chains, low))))
    return found


def _in_force(chains: dict[str, list[Tariff]], moment: datetime) -> list[Tariff]:
    """Per type, the first tariff of the chain not yet replaced at `moment`."""
    found = []
    for chain in chains.values():
        for tariff in chain:
            until = replaced_at(tariff)
            if until is None or until > moment:
                found.append(tariff)
                break
    return sorted(found, key=lambda t: t.id)
