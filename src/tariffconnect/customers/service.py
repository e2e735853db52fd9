"""Customers: create, read, update, delete and list, always inside the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError, not_found
from tariffconnect.core.ids import new_id
from tariffconnect.core.pagination import PageParams, paginate
from tariffconnect.core.scoping import Scope, get_owned, joined_ids, owned_read, owned_row, scoped
from tariffconnect.core.timeutil import format_utc, utcnow
from tariffconnect.customers.models import Customer
from tariffconnect.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate
from tariffconnect.events import service as events
from tariffconnect.locations.models import Location


def get(session: Session, *, scope: Scope, customer_id: str) -> Customer | None:
    """The caller's customer with this id, or None."""
    return get_owned(session, Customer, scope, customer_id, prefix="cus")


def get_or_raise(session: Session, *, scope: Scope, customer_id: str) -> Customer:
    """The caller's customer with this id, or 404 `customer_not_found`."""
    customer = get(session, scope=scope, customer_id=customer_id)
    if customer is None:
        raise _not_found(customer_id)
    return customer


def _not_found(customer_id: str) -> ApiError:
    return not_found("customer_not_found", f"No customer {customer_id}.")


def render_all(session: Session, customers: Sequence[Customer]) -> list[CustomerOut]:
    """Wire forms of `customers`, with their location ids loaded in one query."""
    locations: dict[str, list[str]] = {c.id: [] for c in customers}
    rows = session.execute(
        select(Location.customer_id, Location.id)
        .where(Location.customer_id.in_(list(locations)))
        .order_by(Location.id)
    )
    for customer_id, location_id in rows:
        locations[str(customer_id)].append(location_id)
    return [_wire(c, locations[c.id]) for c in customers]


def _wire(customer: Any, location_ids: list[str]) -> CustomerOut:
    """The wire form of a customer, from its row or its ORM object (the same attributes)."""
    return CustomerOut(
        id=customer.id,
        live_mode=customer.live_mode,
        reference_id=customer.reference_id,
        locations=location_ids,
        time_created=format_utc(customer.time_created),
        account_id=customer.account_id,
    )


# GET /customers/{id} in one statement, its location ids aggregated (core/scoping.owned_read).
_READ = owned_read(
    Customer,
    select(func.aggregate_strings(Location.id, ","))
    .where(Location.customer_id == Customer.id)
    .scalar_subquery()
    .label("location_ids"),
)


def read(session: Session, *, scope: Scope, customer_id: str) -> CustomerOut:
    """The caller's customer as the API shows it, read in one statement; 404
    `customer_not_found`."""
    row = owned_row(session, _READ, scope, customer_id, prefix="cus")
    if row is None:
        raise _not_found(customer_id)
    return _wire(row, joined_ids(row.location_ids))


def render(session: Session, customer: Customer) -> CustomerOut:
    return render_all(session, [customer])[0]


def create(session: Session, *, scope: Scope, data: CustomerCreate) -> CustomerOut:
    """Create a customer and record `customer.create`."""
    customer = Customer(
        id=new_id("cus"),
        account_id=scope.account_id,
        live_mode=scope.live_mode,
        time_created=utcnow(),
        reference_id=data.reference_id,
    )
    session.add(customer)
    session.flush()
    out = render(session, customer)
    events.record(session, scope=scope, type="customer.create", object_id=customer.id, data=out)
    return out


def update(
    session: Session, *, scope: Scope, customer_id: str, data: CustomerUpdate
) -> CustomerOut:
    """Apply the fields given (PATCH) and record `customer.update`."""
    customer = get_or_raise(session, scope=scope, customer_id=customer_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(customer, field, value)
    session.flush()
    out = render(session, customer)
    events.record(session, scope=scope, type="customer.update", object_id=customer.id, data=out)
    return out


def delete(session: Session, *, scope: Scope, customer_id: str) -> None:
    """Delete the customer; its locations stay, without a customer. Records `customer.delete`."""
    customer = get_or_raise(session, scope=scope, customer_id=customer_id)
    out = render(session, customer)
    session.execute(
        sql_update(Location).where(Location.customer_id == customer.id).values(customer_id=None)
    )
    session.delete(customer)
    events.record(session, scope=scope, type="customer.delete", object_id=customer.id, data=out)


def list_(
    session: Session, *, scope: Scope, page: PageParams, reference_id: str | None
) -> dict[str, Any]:
    """One page of the caller's customers, newest first."""
    query = scoped(select(Customer), Customer, scope)
    if reference_id is not None:
        query = query.where(Customer.reference_id == reference_id)
    return paginate(
        session,
        query,
        Customer.id,
        page,
        url="/customers",
        render=lambda rows: render_all(session, rows),
    )
