"""What locations and prices know of DIRECT connections, through a hook: integrations (a room
above) registers the reader at start-up (tariffconnect/hooks.py), so this room imports none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

# The statuses of a DIRECT element, as integrations/models.py stores them.
PENDING, CONNECTED, ERROR = "PENDING", "CONNECTED", "ERROR"


@dataclass(frozen=True, slots=True)
class ElementState:
    """One location's tariff element connected DIRECT: its status and when consent was given."""

    location_id: str
    tariff_direction: str
    tariff_type: str
    status: str
    provider_id: str
    consent_given_at: datetime | None


Reader = Callable[[Session, Sequence[str]], list[ElementState]]
# Given the column of a location's id, a correlated scalar subquery of its DIRECT elements as
# "direction|type|status|provider_id|consent time" texts joined by ",", so that a read of one
# location stays one statement (core/scoping.owned_read).
Texts = Callable[[Any], Any]
_readers: list[Reader] = []
_texts: list[Texts] = []
_columns: dict[int, Any] = {}


def on_read(reader: Reader, texts: Texts) -> None:
    """Register the reader of DIRECT elements (idempotent: the same reader is kept once)."""
    if reader not in _readers:
        _readers.append(reader)
        _texts.append(texts)


def column(location_id: Any) -> Any | None:
    """The labelled subquery of `location_id`'s DIRECT elements, or None without a reader."""
    if not _texts:
        return None
    key = id(location_id)
    if key not in _columns:
        _columns[key] = _texts[0](location_id).label("direct_elements")
    return _columns[key]


def parse(location_id: str, texts: str | None) -> list[ElementState]:
    """The elements `column` read, in the order of their connection ids."""
    found = []
    for text in texts.split(",") if texts else []:
        direction, tariff_type, status, provider_id, consent = text.split("|")
        found.append(
            ElementState(
                location_id, direction, tariff_type, status, provider_id, _instant(consent)
            )
        )
    return found


def _instant(text: str) -> datetime | None:
    """A time as the database wrote it as text (UTC, naive or with its offset)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def states(session: Session, location_ids: Sequence[str]) -> dict[str, list[ElementState]]:
    """The DIRECT elements of each location (none where no reader is installed)."""
    found: dict[str, list[ElementState]] = {location_id: [] for location_id in location_ids}
    if not location_ids:
        return found
    for reader in _readers:
        for state in reader(session, location_ids):
            found[state.location_id].append(state)
    return found


def of_element(
    found: Sequence[ElementState], *, tariff_direction: str, tariff_type: str
) -> ElementState | None:
    """The state of one element among a location's, or None when it is not DIRECT."""
    for state in found:
        if state.tariff_direction == tariff_direction and state.tariff_type == tariff_type:
            return state
    return None
