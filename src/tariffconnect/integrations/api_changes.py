"""Tariffs the app changes through the API end the element's DIRECT connection: registered
with tariffs at start-up (tariffconnect/hooks.py), since tariffs, a lower room, imports none."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tariffconnect.core.scoping import Scope
from tariffconnect.integrations import pull
from tariffconnect.tariffs import service as tariffs


def _drop_connection(
    session: Session, scope: Scope, location_id: str, direction: str, tariff_type: str
) -> None:
    """The app's own tariff wins: its connection and credentials go, so no refresh undoes it."""
    pull.disconnect(
        session, scope=scope, location_id=location_id, direction=direction, tariff_type=tariff_type
    )


def install() -> None:
    """Register the removal with tariffs (called by tariffconnect/hooks.py)."""
    tariffs.on_element_changed(_drop_connection)
