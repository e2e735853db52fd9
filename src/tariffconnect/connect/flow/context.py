"""One flow request's context: the session, its location and scope, and the flow state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.scoping import Scope
from tariffconnect.locations.models import Location
from tariffconnect.providers import catalogue, logo
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff


@dataclass
class Flow:
    db: Session
    connect_session: ConnectSession
    location: Location
    state: FlowState
    now: datetime
    base_url: str

    @property
    def scope(self) -> Scope:
        return Scope(self.connect_session.account_id, self.connect_session.live_mode)

    def connected_tariff(self) -> Tariff | None:
        """The location's connected import commodity tariff: what Connect captures."""
        found = tariffs.connected(self.db, location_ids=[self.location.id])
        return next(
            (t for t in found if t.tariff_direction == "IMPORT" and t.tariff_type == "COMMODITY"),
            None,
        )

    def postal_address(self) -> dict[str, str]:
        return {name: getattr(self.location, name) or "" for name in ADDRESS_FIELDS}

    def provider(self, provider_id: str | None = None) -> dict[str, Any]:
        """`{id, display_name, logo_url}` of the chosen (or given) provider; a provider the
        customer typed has no id or logo."""
        chosen = provider_id or self.state.draft.provider_id
        found = catalogue.get(chosen) if chosen else None
        if found is None:
            return {
                "id": None,
                "display_name": self.state.draft.provider_name or "",
                "logo_url": None,
            }
        return {
            "id": found.id,
            "display_name": found.display_name,
            "logo_url": f"{self.base_url}{logo.path(found.id)}",
        }
