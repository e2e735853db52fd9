"""What the server remembers of one customer's flow, stored as JSON on the Connect session.

Nothing the client sends about where it is in the flow is trusted: the current page, the pages
that led to it (for BACK) and the answers given so far all live here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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

    @classmethod
    def load(cls, raw: dict[str, Any]) -> FlowState:
        return cls(
            route=raw["route"],
            history=list(raw.get("history", [])),
            draft=Draft(**raw.get("draft", {})),
            tariff_id=raw.get("tariff_id"),
            ended=bool(raw.get("ended", False)),
            address=raw.get("address"),
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
