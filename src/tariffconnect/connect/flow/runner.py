"""One submit of the Connect flow in its own write transaction: what the JSON API and the
hosted pages call, so neither opens a database session itself.

For DIRECT connections a submit has two more phases, both outside the transaction: before
it, a built-in adapter's `authorise` (a call to the provider); after it committed, the first
pull of a connection the submit opened, so the customer returns to a tariff when it is quick.

A database outage (`DATABASE_ERRORS`) is answered as `database_unavailable()`, the 503 the
rest of the API answers too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.connect import service as sessions
from tariffconnect.connect.flow import direct, machine, steps
from tariffconnect.connect.flow.context import Authorisation
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.core.errors import DATABASE_ERRORS, ApiError, database_unavailable
from tariffconnect.core.scoping import Scope, get_owned
from tariffconnect.db import Database
from tariffconnect.integrations import bindings, pull
from tariffconnect.integrations.adapters import registry
from tariffconnect.integrations.adapters.base import Where
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime

log = logging.getLogger("tariffconnect.connect.flow")


def submit(
    service: Runtime | Database, request: FlowRequest, *, base_url: str = ""
) -> machine.Answer:
    """`machine.advance` in a write transaction of its own. Given only the Database (no
    settings), DIRECT routes are not available."""
    runtime, db = _split(service)
    setup = _setup(runtime, base_url)
    if runtime is not None:
        with _outage():
            authorisation = authorise_first(
                db, request, secret=setup.secret, settings=runtime.settings
            )
        setup = machine.Setup(base_url, setup.settings, setup.secret, authorisation)
    with _write(db) as session:
        answer = machine.advance(session, request, setup=setup)
    _first_pull(runtime, answer)
    return answer


def submit_form(
    service: Runtime | Database,
    token: str,
    request_for: machine.RequestFor,
    *,
    base_url: str = "",
) -> machine.Answer | None:
    """`machine.advance_form` in a write transaction of its own (the pages' forms never
    answer a module's page: those go through `submit`)."""
    runtime, db = _split(service)
    with _write(db) as session:
        answer = machine.advance_form(session, token, request_for, setup=_setup(runtime, base_url))
    if answer is not None:
        _first_pull(runtime, answer)
    return answer


def authorise_first(
    db: Database, request: FlowRequest, *, secret: bytes, settings: Settings | None = None
) -> Authorisation | None:
    """For a built-in adapter's module page: read the credentials the submit gives and where
    the tariff is (in a read transaction), then ask the adapter, outside any transaction.
    None when there is nothing to ask or the request is refused: the machine then raises the
    same error."""
    if request.route not in direct.AUTHORISING_ROUTES or request.action is not None:
        return None
    with db.transaction(write=False) as session:
        found = sessions.get_by_token(session, connect_token=request.connect_token)
        if found is None or not found.flow:
            return None
        state = FlowState.load(found.flow)
        chosen = state.direct
        if state.route != steps.AUTH_MODULE or chosen is None or chosen.page != request.route:
            return None
        live_mode = found.live_mode
        if bindings.direct_route(session, chosen.provider_id, live_mode=live_mode) != "adapter":
            return None
        scope = Scope(found.account_id, live_mode)
        try:
            given = direct.credentials_of(
                session, scope, chosen, request.route, request.data or {}, secret=secret
            )
        except ApiError:
            return None
        where = _where(session, scope, found.location_id, state.address)
    adapter = registry.adapter_for(chosen.provider_id, live_mode=live_mode, settings=settings)
    if adapter is None:
        return None
    return Authorisation(given, adapter.authorise(given, where))


def _where(
    session: Session, scope: Scope, location_id: str | None, address: dict[str, Any] | None
) -> Where:
    """The session's location's address, or the one the flow captured for the location it
    will create."""
    if location_id is not None:
        location = get_owned(session, Location, scope, location_id, prefix="loc")
        if location is not None:
            return Where(location.country_code, location.post_code)
    if address:
        return Where(address.get("country_code"), address.get("post_code"))
    return Where()


def _split(service: Runtime | Database) -> tuple[Runtime | None, Database]:
    if isinstance(service, Runtime):
        return service, service.db
    return None, service


def _setup(runtime: Runtime | None, base_url: str) -> machine.Setup:
    if runtime is None:
        return machine.Setup(base_url)
    return machine.Setup(base_url, runtime.settings, runtime.settings.signing_secret)


def _first_pull(runtime: Runtime | None, answer: machine.Answer) -> None:
    """Pull the connection consent opened; a failure is the connection's to record (the
    customer is sent back either way, to the page its status leads to)."""
    if runtime is None or answer.opened is None:
        return
    try:
        pull.pull(runtime, answer.opened)
    except Exception:  # never a 500 to the customer for the provider's trouble
        log.exception("the first pull of %s failed", answer.opened)


@contextmanager
def _outage() -> Iterator[None]:
    try:
        yield
    except DATABASE_ERRORS:
        log.warning("database unavailable for the Connect flow", exc_info=True)
        raise database_unavailable() from None


@contextmanager
def _write(db: Database) -> Iterator[Session]:
    with _outage(), db.transaction(write=True) as session:
        yield session
