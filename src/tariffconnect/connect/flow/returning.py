"""The main front end's pages after a DIRECT login: where session_start resumes once the
customer is back from the auth module (the first pull's result), and the actions of
`tariff_connection_pending` and `tariff_connection_failed`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tariffconnect.connect import service as sessions
from tariffconnect.connect.flow import connecting, provider_pages, steps
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.direct import FAILED_PAGE, PENDING_PAGE
from tariffconnect.connect.flow.state import Direct, Draft
from tariffconnect.core.errors import invalid
from tariffconnect.core.scoping import scoped
from tariffconnect.integrations.models import CONNECTED, ERROR, DirectConnection


def resume(flow: Flow) -> None:
    """At session_start after consent: the page the first pull's result leads to."""
    direct = flow.state.direct
    if flow.state.route not in (PENDING_PAGE, FAILED_PAGE) or direct is None:
        return
    query = scoped(select(DirectConnection), DirectConnection, flow.scope)
    connection = flow.db.scalars(query.where(DirectConnection.id == direct.connection_id)).first()
    if connection is None:
        if direct.connection_id is not None:  # removed meanwhile: nothing is pending any more
            flow.state.route = provider_pages.after_direct(flow)
        return
    if connection.status == CONNECTED and flow.connected_tariff() is not None:
        flow.state.tariff_id = connection.tariff_id
        flow.state.route, flow.state.history = "tariff_summary", []
        if flow.connect_session.status != sessions.COMPLETED:
            sessions.complete(flow.db, connect_session=flow.connect_session, now=flow.now)
    elif connection.status == ERROR or connection.last_error is not None:
        flow.state.route = FAILED_PAGE
    else:
        flow.state.route = PENDING_PAGE


def _render_pending(flow: Flow) -> dict[str, Any]:
    return {"provider": flow.provider()}


def _render_failed(flow: Flow) -> dict[str, Any]:
    return {"provider": flow.provider(), "connection_type": "DIRECT"}


def _action_missing(flow: Flow, data: dict[str, Any] | None) -> str:
    raise invalid("action_missing", "Answer this page with one of its actions.")


def _save(flow: Flow) -> str:
    """The tariff arrives with a later pull: the session completes now."""
    sessions.complete(flow.db, connect_session=flow.connect_session, now=flow.now)
    return steps.END


def _disconnect(flow: Flow) -> str:
    connecting.disconnect(flow)
    flow.state.direct = None
    return steps.END


def _dismiss_pending(flow: Flow) -> str:
    connecting.drop_direct(flow)
    flow.state.direct = None
    return provider_pages.after_direct(flow)


def _drop_failed(flow: Flow) -> None:
    """BACK from the failed page: the failed connection, its credentials and the login go."""
    if flow.state.direct is not None and flow.state.direct.connection_id is not None:
        connecting.drop_direct(flow)
    flow.state.direct = None


def _reconnect(flow: Flow) -> str:
    """Log in again at the same provider's module."""
    connecting.drop_direct(flow)
    direct = flow.state.direct
    flow.state.direct = None if direct is None else Direct(direct.provider_id, query=direct.query)
    return steps.AUTH_MODULE


def _edit(flow: Flow) -> str:
    connecting.drop_direct(flow)
    flow.state.direct, flow.state.draft, flow.state.history = None, Draft(), []
    return "provider_select"


STEPS: dict[str, steps.Step] = {
    PENDING_PAGE: steps.Step(
        PENDING_PAGE,
        _render_pending,
        _action_missing,
        {"SAVE": _save, "DISCONNECT": _disconnect, "DISMISS_DIRECT": _dismiss_pending},
        back=False,
    ),
    FAILED_PAGE: steps.Step(
        FAILED_PAGE,
        _render_failed,
        _action_missing,
        {"RECONNECT": _reconnect, "EDIT": _edit, "DISCONNECT": _disconnect},
        on_back=_drop_failed,
    ),
}
