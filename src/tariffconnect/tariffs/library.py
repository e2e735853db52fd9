"""The library of real published tariffs: shipped as data (data/tariff_library.json), and
synced from suppliers' published products into the database (integrations/octopus/
library_sync.py). Given a session, the lookups serve both; withdrawn entries are not offered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule
from tariffconnect.tariffs.schemas import StandingCharge


class LibraryTariff(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^trl_[0-9a-f]{24}$")
    object: str = "library_tariff"
    provider_id: str
    display_name: str
    country_code: str
    state: str | None = None
    region: str | None = None
    currency_code: str
    tariff_direction: str
    tariff_type: str
    market_rates: bool
    timezone: str
    standing_charge: StandingCharge | None = None
    schedule: list[ScheduleEntry]
    source_url: str
    published_date: str
    notes: str | None = None
    # Synced entries: where the figures were read (`octopus`), and for which product and tariff.
    source: str | None = None
    product_code: str | None = None
    tariff_code: str | None = None


@cache
def load() -> tuple[LibraryTariff, ...]:
    """The library, validated (every schedule too), sorted by id descending like every list."""
    raw: list[dict[str, Any]] = json.loads(
        files("tariffconnect.data").joinpath("tariff_library.json").read_text()
    )
    tariffs = [LibraryTariff.model_validate(entry) for entry in raw]
    for tariff in tariffs:
        validate_schedule(tariff.schedule, market_rates=tariff.market_rates)
    return tuple(sorted(tariffs, key=lambda t: t.id, reverse=True))


def synced(session: Session) -> list[LibraryTariff]:
    """The synced entries on offer (not withdrawn)."""
    from tariffconnect.tariffs.library_models import SyncedLibraryTariff

    rows = session.scalars(
        select(SyncedLibraryTariff.entry).where(SyncedLibraryTariff.withdrawn_at.is_(None))
    )
    return [LibraryTariff.model_validate(entry) for entry in rows]


def _all(session: Session | None) -> Sequence[LibraryTariff]:
    if session is None:
        return load()
    return sorted([*load(), *synced(session)], key=lambda t: t.id, reverse=True)


def get(tariff_id: str, *, session: Session | None = None) -> LibraryTariff | None:
    return next((t for t in _all(session) if t.id == tariff_id), None)


def search(
    *, provider_id: str | None, country_code: str | None, session: Session | None = None
) -> Sequence[LibraryTariff]:
    country = country_code.upper() if country_code else None
    return [
        t
        for t in _all(session)
        if (provider_id is None or t.provider_id == provider_id)
        and (country is None or t.country_code == country)
    ]
