"""One flow request's context: the session, its location and scope, and the flow state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.connect.models import ConnectSession
from tariffconnect.connect.tokens import prefilled_address
from tariffconnect.core.scoping import Scope
from tariffconnect.integrations.adapters.base import AuthOutcome
from tariffconnect.locations.models import Location
from tariffconnect.providers import catalogue, logo
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff


@dataclass(frozen=True, slots=True)
class Authorisation:
    """A built-in adapter's answer to `credentials`, asked before the flow's transaction."""

    credentials: dict[str, str]
    outcome: AuthOutcome


@dataclass
class Flow:
    db: Session
    connect_session: ConnectSession
    location: Location
    state: FlowState
    now: datetime
    base_url: str
    # DIRECT: the service's settings, the key credentials are sealed with, what a built-in
    # adapter answered to this submit's credentials (the runner asked it outside the
    # transaction), and the connection opened at consent, which the runner pulls first once
    # the transaction committed.
    settings: Settings | None = None
    secret: bytes = b""
    authorisation: Authorisation | None = None
    opened: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.connect_session.account_id, self.connect_session.live_mode)

    @property
    def direction(self) -> str:
        """IMPORT or EXPORT: the direction of the tariff this session captures."""
        return self.connect_session.tariff_direction

    @property
    def tariff_type(self) -> str:
        """COMMODITY or NON_COMMODITY: the type of the tariff this session captures."""
        return self.connect_session.tariff_type

    @property
    def grid_fees(self) -> bool:
        """The session captures grid fees (NON_COMMODITY): per-kWh rates, never a market."""
        return self.tariff_type == "NON_COMMODITY"

    @property
    def market_export(self) -> bool:
        """A market-linked export tariff being captured: the one element whose price may be
        below zero (feed-in at negative market prices), so its fixed surcharge may be too."""
        return self.direction == "EXPORT" and self.state.draft.structure == "MARKET"

    @property
    def has_location(self) -> bool:
        """False until a session created without a location completes."""
        return self.connect_session.location_id is not None

    def connected_tariffs(self) -> list[Tariff]:
        """The location's connected tariffs, of every element."""
        if not self.has_location:
            return []
        return tariffs.connected(self.db, location_ids=[self.location.id])

    def connected_tariff(self, connected: Sequence[Tariff] | None = None) -> Tariff | None:
        """The location's connected tariff of the session's direction and type: what Connect
        captures. `connected`: `connected_tariffs()` when the caller has read them."""
        found = self.connected_tariffs() if connected is None else connected
        return next(
            (
                t
                for t in found
                if (t.tariff_direction, t.tariff_type) == (self.direction, self.tariff_type)
            ),
            None,
        )

    def postal_address(self) -> dict[str, str]:
        """The address Connect knows: the location's, or for a session without one the one
        captured so far, else the token's prefill."""
        if not self.has_location and self.state.address is None:
            prefill = prefilled_address(self.connect_session) or {}
            return {name: str(prefill.get(name) or "") for name in ADDRESS_FIELDS}
        return {name: getattr(self.location, name) or "" for name in ADDRESS_FIELDS}

    def provider(
        self, provider_id: str | None = None, *, typed_name: str | None = None
    ) -> dict[str, Any]:
        """`{id, display_name, logo_url}` of the chosen (or given) provider; a provider the
        customer typed has no id or logo. `typed_name`: the name a connected tariff keeps
        of it (Tariff.provider_name), for a summary shown after this session's draft."""
        chosen = provider_id or self.state.draft.provider_id
        found = catalogue.get(chosen) if chosen else None
        if found is None:
            return {
                "id": None,
                "display_name": typed_name or self.state.draft.provider_name or "",
                "logo_url": None,
            }
        return {
            "id": found.id,
            "display_name": found.display_name,
            "logo_url": f"{self.base_url}{logo.path(found.id)}",
        }


def pending_location(connect_session: ConnectSession, address: dict[str, Any] | None) -> Location:
    """The location a session without one will create, built from the address captured so
    far (none yet: every field empty). Never added to the database session."""
    given = address or {}
    return Location(
        id=None,
        account_id=connect_session.account_id,
        live_mode=connect_session.live_mode,
        reference_id=connect_session.location_reference_id,
        customer_id=connect_session.customer_id,
        **{name: given.get(name) for name in (*ADDRESS_FIELDS, "timezone", "currency_code")},
    )
