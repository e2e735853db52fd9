"""What the server remembers of one customer's flow, stored as JSON on the Connect session.

Nothing the client sends about where it is in the flow is trusted: the current page, the pages
that led to it (for BACK) and the answers given so far all live here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Draft:
    """The answers towards the tariff being captured."""

    provider_id: str | None = None
    provider_name: str | None = None  # typed by the customer when their provider is not listed
    library_tariff_id: str | None = None
    structure: str | None = None  # FIXED, TIME_OF_DAY, MARKET or ADVANCED
    cost: float | None = None
    hours: list[dict[str, Any]] | None = None
    standing_charge: float | None = None  # per day, major units; None: none was entered
    schedule: list[dict[str, Any]] | None = None  # ADVANCED: in the tariff's schedule shape
    region: str | None = None
    surcharge_fixed: float | None = None
    surcharge_percentage: float | None = None
    tariff_name: str | None = None
    contract_end_date: str | None = None


@dataclass
class Direct:
    """The DIRECT connection under way: the provider's auth module and what it reached."""

    provider_id: str
    # The auth module's page (the route it may answer next), while the customer is there.
    page: str = "auth_metadata_capture"
    auth_metadata_id: str | None = None
    consented: bool = False
    # Query parameters the main front end added to the module's URL: they go back with it.
    query: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] | None = None  # mfa_capture's, from the adapter
    accounts: list[dict[str, Any]] | None = None  # multiple_available_tariffs' choices
    message: str | None = None  # failed_login's
    connection_id: str | None = None  # opened at consent

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> Direct | None:
        if raw is None:
            return None
        # Sessions stored before a field was dropped (`failed`) still load.
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


@dataclass
class FlowState:
    route: str
    history: list[str] = field(default_factory=list)
    draft: Draft = field(default_factory=Draft)
    # The tariff this session connected, if any: an EDIT in the same session replaces it.
    tariff_id: str | None = None
    # The customer left for the callback: the token now only shows the summary, read-only.
    ended: bool = False
    # A session without a location keeps the address captured here (checked, with its time
    # zone and currency) until the flow completes and creates the location from it.
    address: dict[str, Any] | None = None
    direct: Direct | None = None

    @classmethod
    def load(cls, raw: dict[str, Any]) -> FlowState:
        return cls(
            route=raw["route"],
            history=list(raw.get("history", [])),
            draft=Draft(**raw.get("draft", {})),
            tariff_id=raw.get("tariff_id"),
            ended=bool(raw.get("ended", False)),
            address=raw.get("address"),
            direct=Direct.load(raw.get("direct")),
        )

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    def go(self, route: str) -> None:
        """Move forward to `route`; BACK returns to the page left."""
        if route != self.route:
            self.history.append(self.route)
            self.route = route

    def back(self) -> bool:
        """Return to the previous page; False when there is none (the flow then ends)."""
        if not self.history:
            return False
        self.route = self.history.pop()
        return True
