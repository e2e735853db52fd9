"""Connecting the captured tariff, and disconnecting it, in the flow's one transaction.

The tariff goes through the tariffs service (which records `tariff.create` and
`location.update`), and the session completes with `connect_session.complete` in the same
transaction: either all of it is stored or none of it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tariffconnect.connect import service as sessions
from tariffconnect.connect import tokens
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS
from tariffconnect.core.errors import invalid
from tariffconnect.integrations import pull
from tariffconnect.locations.models import Location
from tariffconnect.market import sources as market
from tariffconnect.tariffs import library
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import REPLACED
from tariffconnect.tariffs.schemas import TariffCreate

# The structures whose rate pages (rate_fixed_capture, rate_tod_capture) take a standing charge.
RATE_PAGES_STRUCTURES = ("FIXED", "TIME_OF_DAY")


def _whole_day(rate: dict[str, Any]) -> list[dict[str, Any]]:
    hours = [{"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [rate]}]
    return _every_day(hours)


def _every_day(hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": hours}]}]


def _create_body(
    flow: Flow, contract_end: datetime | None, contract_start: datetime | None
) -> tuple[TariffCreate, str]:
    """The tariff to create from the customer's answers, and its connection type."""
    draft = flow.state.draft
    common: dict[str, Any] = {
        "location_id": flow.location.id,
        "tariff_direction": flow.direction,
        "tariff_type": flow.tariff_type,
        "provider_id": draft.provider_id,
        "contract_end_date": contract_end,
        "contract_start_date": contract_start,
    }
    if draft.library_tariff_id is not None:
        chosen = library.get(draft.library_tariff_id, session=flow.db)
        if chosen is None:
            raise invalid("tariff_id_invalid", "That tariff is no longer in the library.")
        body = TariffCreate.model_validate(
            {
                **common,
                "display_name": chosen.display_name,
                "provider_id": chosen.provider_id,
                "schedule": chosen.schedule,
                "standing_charge": chosen.standing_charge,
            }
        )
        return body, "LIBRARY"
    if draft.structure == "MARKET":
        source = market.source_for(flow.location.country_code, draft.region)
        if source is None:
            raise invalid("geo_location_not_found", "No market prices are known here.")
        percentage = Decimal(str(draft.surcharge_percentage or 0)) / 100
        rate = {
            "surcharge_fixed": draft.surcharge_fixed or 0,
            "surcharge_percentage": float(percentage),
        }
        body = TariffCreate.model_validate(
            {
                **common,
                "display_name": draft.tariff_name,
                "market_rates": True,
                "market_source_id": source.id,
                "schedule": _whole_day(rate),
            }
        )
        return body, "MARKET"
    if draft.structure == "FIXED" and draft.cost is not None:
        schedule = _whole_day({"fixed": draft.cost})
    elif draft.structure == "TIME_OF_DAY" and draft.hours:
        schedule = _every_day(
            [
                {
                    "valid_from": h["valid_from"],
                    "valid_to": h["valid_to"],
                    "rate": [{"fixed": h["cost"]}],
                }
                for h in draft.hours
            ]
        )
    elif draft.structure == "ADVANCED" and draft.schedule:
        schedule = draft.schedule  # checked by the page as the tariff's schedule
    else:  # the state machine only reaches the contract page with rates captured
        raise invalid(
            "tariff_incomplete", "The tariff's rates are missing; go back and enter them."
        )
    # Only the rate pages take a standing charge: one typed there and left for another
    # structure (BACK, then ADVANCED) is not this tariff's.
    taken = draft.structure in RATE_PAGES_STRUCTURES and draft.standing_charge is not None
    charge = {"value": draft.standing_charge} if taken else None
    body = TariffCreate.model_validate(
        {
            **common,
            "display_name": draft.tariff_name,
            "schedule": schedule,
            "standing_charge": charge,
        }
    )
    return body, "MANUAL"


def connect(
    flow: Flow, *, contract_end: datetime | None, contract_start: datetime | None = None
) -> None:
    """Connect the captured tariff in place of the location's current one and complete the
    session. A tariff this same session connected before (then EDITed) is deleted rather than
    kept as REPLACED: the customer corrected their own answer, so one session leaves one
    tariff."""
    if not flow.has_location:
        # A token without a location: the location (and customer) are made now, as it completes.
        assert flow.state.address is not None  # the address page comes first
        captured = {name: flow.state.address.get(name) for name in ADDRESS_FIELDS}
        location_id = tokens.create_location(
            flow.db, connect_session=flow.connect_session, postal_address=captured
        )
        found = flow.db.get(Location, location_id)
        assert found is not None
        flow.location = found
    body, connection_type = _create_body(flow, contract_end, contract_start)
    drop_direct(flow)  # a tariff typed or chosen here: no refresh may overwrite it
    created = tariffs.create(flow.db, scope=flow.scope, data=body, connection_type=connection_type)
    if created.provider_id is None:  # a provider the customer typed: the summary names it
        tariffs.get_or_raise(
            flow.db, scope=flow.scope, tariff_id=created.id
        ).provider_name = flow.state.draft.provider_name
    earlier = flow.state.tariff_id
    if earlier is not None:
        own = tariffs.get(flow.db, scope=flow.scope, tariff_id=earlier)
        if own is not None and own.status == REPLACED:
            tariffs.delete(flow.db, scope=flow.scope, tariff_id=earlier)
    flow.state.tariff_id = created.id
    flow.connect_session.provider_id = created.provider_id
    sessions.complete(flow.db, connect_session=flow.connect_session, now=flow.now)


def drop_direct(flow: Flow) -> None:
    """Remove the element's DIRECT connection, if any, with its credentials."""
    if flow.has_location:
        pull.disconnect(
            flow.db,
            scope=flow.scope,
            location_id=flow.location.id,
            direction=flow.direction,
            tariff_type=flow.tariff_type,
        )


def disconnect(flow: Flow) -> None:
    """Remove the connected tariff; the session ends (completed) without one."""
    tariff = flow.connected_tariff()
    if tariff is not None:
        tariffs.delete(flow.db, scope=flow.scope, tariff_id=tariff.id)
    drop_direct(flow)
    flow.state.tariff_id = None
    sessions.complete(flow.db, connect_session=flow.connect_session, now=flow.now)
