"""Read-only looks at a Connect session for the hosted auth pages, which read no table: which
DIRECT provider the customer chose and whether a built-in adapter serves it."""

from __future__ import annotations

from dataclasses import dataclass

from tariffconnect.connect import service as sessions
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.core.errors import DATABASE_ERRORS, database_unavailable
from tariffconnect.db import Database
from tariffconnect.integrations import bindings


@dataclass(frozen=True, slots=True)
class ChosenDirect:
    """The session's DIRECT provider and whether its connection runs through our adapter."""

    provider_id: str
    via_adapter: bool


def chosen_direct(db: Database, connect_token: str) -> ChosenDirect | None:
    """The DIRECT provider the token's session chose; None without a session or a choice
    (the flow then answers its own error)."""
    try:
        with db.transaction(write=False) as session:
            found = sessions.get_by_token(session, connect_token=connect_token)
            if found is None or not found.flow:
                return None
            direct = FlowState.load(found.flow).direct
            if direct is None:
                return None
            route = bindings.direct_route(session, direct.provider_id, live_mode=found.live_mode)
    except DATABASE_ERRORS:
        raise database_unavailable() from None
    return ChosenDirect(direct.provider_id, via_adapter=route == "adapter")
