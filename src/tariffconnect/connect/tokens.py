"""Connect tokens, as zero (`/connect/tariff/token`), anode (`/connect/token`) and busbar's
earlier `/connect/sessions` create and exchange them: a Connect session whose location may
not exist yet. The flow makes it (`create_location`) from the address it captured, when it
completes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.connect import service as sessions
from tariffconnect.connect.models import ConnectSession
from tariffconnect.connect.schemas import (
    ConnectTokenCreate,
    ConnectTokenExchangeOut,
    ConnectTokenOut,
)
from tariffconnect.core.errors import ApiError, invalid, not_found
from tariffconnect.core.ids import is_valid_id
from tariffconnect.core.scoping import Scope, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.customers import service as customers
from tariffconnect.customers.models import Customer
from tariffconnect.customers.schemas import CustomerCreate
from tariffconnect.locations import address
from tariffconnect.locations import service as locations
from tariffconnect.locations.schemas import LocationCreate, PostalAddressIn
from tariffconnect.tariffs import service as tariffs


def create(
    session: Session,
    *,
    scope: Scope,
    data: ConnectTokenCreate,
    ttl_seconds: int,
    release: str,
) -> ConnectTokenOut:
    """A Connect token for a location, or for one the flow will create; records
    `connect_session.create`."""
    if data.location_id is not None and data.location_reference_id is not None:
        raise invalid(
            "location_id_conflict",
            "Give location_id (an existing location) or location_reference_id (a new one), "
            "not both.",
        )
    if data.tariff_direction == "LOCAL":
        raise invalid(
            "tariff_direction_not_supported", "Connect captures IMPORT and EXPORT tariffs."
        )
    direction: str = data.tariff_direction
    tariff_type: str = data.tariff_type
    location_id = data.location_id
    if data.tariff_id is not None:
        tariff = tariffs.get_or_raise(session, scope=scope, tariff_id=data.tariff_id)
        if location_id is not None and tariff.location_id != location_id:
            raise invalid("tariff_id_invalid", "That tariff is not at this location.")
        location_id, direction, tariff_type = (
            tariff.location_id,
            tariff.tariff_direction,
            tariff.tariff_type,
        )
    sessions.check_element(tariff_type, direction)
    actions = data.actions.model_dump() if data.actions else {}
    if actions.get("disconnect_tariff") and location_id is None:
        raise invalid("location_id_missing", "disconnect_tariff needs the location_id.")
    if location_id is not None:
        locations.get_or_raise(session, scope=scope, location_id=location_id)
    customer_id = _own_customer(session, scope, data.customer_id)
    prefill = data.postal_address.model_dump() if data.postal_address else None
    if prefill and location_id is None and prefill.get("city") and prefill.get("country_code"):
        address.validate(**prefill)  # a prefill that skips the address page must be valid
    sessions.check_references(
        session, scope, {"device_id": data.device_id, "provider_id": data.provider_id}
    )
    connect_session, _out = sessions.add(
        session,
        scope=scope,
        ttl_seconds=ttl_seconds,
        location_id=location_id,
        device_id=data.device_id,
        provider_id=data.provider_id,
        connect_url=data.connect_url,
        callback_url=data.callback_url,
        release=release,
        tariff_direction=direction,
        tariff_type=tariff_type,
        customer_id=customer_id,
        customer_reference_id=data.customer_reference_id,
        location_reference_id=data.location_reference_id,
        options={
            "actions": actions,
            "route_options": data.route_options.model_dump() if data.route_options else {},
            "postal_address": prefill,
            "postal_address_type": data.postal_address_type,
        },
    )
    return ConnectTokenOut(
        connect_token=connect_session.id, expires_in=ttl_seconds, live_mode=scope.live_mode
    )


def exchange(session: Session, *, scope: Scope, connect_token: str) -> ConnectTokenExchangeOut:
    """What the token became; 422 `connect_token_expired` once it ran out (expired tokens
    cannot be claimed, whether or not their flow completed)."""
    found = sessions.get(session, scope=scope, session_id=connect_token)
    if found is None:
        raise not_found("connect_token_not_found", f"No Connect token {connect_token}.")
    if sessions.past_expiry(found, now=utcnow()):
        raise ApiError(422, "connect_token_expired", "This Connect token has expired.")
    customer_id, location_reference_id = found.customer_id, found.location_reference_id
    if found.location_id is not None:
        location = locations.get(session, scope=scope, location_id=found.location_id)
        if location is not None:
            customer_id = location.customer_id or customer_id
            location_reference_id = location.reference_id or location_reference_id
    return ConnectTokenExchangeOut(
        id=found.id,
        live_mode=found.live_mode,
        customer_id=customer_id,
        customer_reference_id=found.customer_reference_id,
        location_id=found.location_id,
        location_reference_id=location_reference_id,
        tariff_available=sessions.data_available(session, found),
        status=sessions.status_of(found),
        time_created=format_utc(found.time_created),
        time_expiry=format_utc(found.time_expiry),
    )


def option(connect_session: ConnectSession, group: str, name: str) -> Any:
    """One of the token's options (`actions.edit_tariff`, `route_options.…`), or None."""
    return ((connect_session.options or {}).get(group) or {}).get(name)


def prefilled_address(connect_session: ConnectSession) -> dict[str, Any] | None:
    """The token's `postal_address`, as given."""
    prefill = (connect_session.options or {}).get("postal_address")
    return dict(prefill) if prefill else None


def create_location(
    session: Session, *, connect_session: ConnectSession, postal_address: dict[str, Any]
) -> str:
    """The location a location-less token's flow captured, made as it completes: with the
    token's customer (given, or found or made by `customer_reference_id`) and its
    `location_reference_id`. The session now names it."""
    scope = Scope(connect_session.account_id, connect_session.live_mode)
    customer_id = connect_session.customer_id
    if customer_id is None and connect_session.customer_reference_id is not None:
        customer_id = _customer_by_reference(session, scope, connect_session.customer_reference_id)
    out = locations.create(
        session,
        scope=scope,
        data=LocationCreate(
            reference_id=connect_session.location_reference_id,
            customer_id=customer_id,
            postal_address=PostalAddressIn.model_validate(postal_address),
        ),
    )
    connect_session.location_id = out.id
    connect_session.customer_id = customer_id
    return out.id


def _customer_by_reference(session: Session, scope: Scope, reference_id: str) -> str:
    """The caller's oldest customer with this reference_id, made if there is none."""
    query = scoped(select(Customer.id), Customer, scope).where(
        Customer.reference_id == reference_id
    )
    found = session.scalars(query.order_by(Customer.id).limit(1)).first()
    if found is not None:
        return str(found)
    return customers.create(session, scope=scope, data=CustomerCreate(reference_id=reference_id)).id


def _own_customer(session: Session, scope: Scope, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    if not is_valid_id(customer_id, "cus"):
        raise not_found("customer_not_found", f"No customer {customer_id}.")
    return customers.get_or_raise(session, scope=scope, customer_id=customer_id).id
