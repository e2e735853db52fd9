"""What a location's DIRECT elements do to its prices: none while the first pull is pending
(422 `pending_connect`), a confidence of at most 0.5 while the tariff is stale (ERROR)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from tariffconnect.core.errors import ApiError
from tariffconnect.locations import direct_status
from tariffconnect.prices.engine import Columns
from tariffconnect.tariffs.models import Tariff

# The confidence of prices from a DIRECT tariff its provider has not confirmed for the
# setting `direct_fetch_failed_after_hours` (status ERROR): the last known tariff, likely
# still right, no longer certain (docs/direct.md).
STALE_CONFIDENCE = Decimal("0.5")


def check_pending(
    states: Sequence[direct_status.ElementState],
    *,
    location_id: str,
    direction: str,
    priced: Sequence[Tariff],
) -> None:
    """422 `pending_connect` while a DIRECT element of `direction` awaits its first tariff."""
    priced_types = {t.tariff_type for t in priced}
    if any(
        s.status == direct_status.PENDING
        and s.tariff_direction == direction
        and s.tariff_type not in priced_types
        for s in states
    ):
        raise ApiError(
            422,
            "pending_connect",
            f"The {direction} tariff of location {location_id} is still being read from its "
            "provider; ask again in a minute.",
        )


def stale_cap(states: Sequence[direct_status.ElementState], direction: str) -> Decimal | None:
    """The highest confidence prices of `direction` may have, or None when not capped."""
    stale = any(s.status == direct_status.ERROR and s.tariff_direction == direction for s in states)
    return STALE_CONFIDENCE if stale else None


def capped(columns: Columns, cap: Decimal | None) -> Columns:
    """`columns` with no confidence above `cap` (unchanged when None)."""
    if cap is None:
        return columns
    levels = columns.confidences or [Decimal(1)] * len(columns.values)
    return replace(columns, confidences=[min(level, cap) for level in levels])
