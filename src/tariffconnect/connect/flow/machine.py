"""The Connect flow's state machine: one submit in, the next page (or an error) out.

`advance` is the only entry point, used by the JSON API and the hosted pages alike. It runs
inside the caller's write transaction and locks the session's row, so two submits of one
session never interleave; when it raises, the caller rolls back and nothing has changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from tariffconnect.connect import service as sessions
from tariffconnect.connect.flow import steps
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.protocol import FlowRequest, context_of
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.connect.models import ConnectSession
from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.timeutil import utcnow
from tariffconnect.locations.models import Location

START = "session_start"


def advance(session: Session, request: FlowRequest, *, base_url: str = "") -> dict[str, Any]:
    """Apply one submit and answer the page to show next.

    `base_url` prefixes the provider logo URLs (empty: paths on this host).
    """
    connect_session = _load(session, request.connect_token)
    try:
        return _advance(session, connect_session, request, base_url)
    except ApiError as error:  # the flow's own checks, or a service's (address, schedule)
        # Answered in the context of the page answered, in the session's mode.
        error.context = context_of(request.route)
        error.live_mode = connect_session.live_mode
        raise


def _load(session: Session, token: str) -> ConnectSession:
    found = sessions.get_by_token(session, connect_token=token, lock=True)
    if found is None:
        raise ApiError(404, "connect_token_invalid", "This Connect link is not valid.")
    return found


def _advance(
    session: Session, cs: ConnectSession, request: FlowRequest, base_url: str
) -> dict[str, Any]:
    now = utcnow()
    location = session.get(Location, cs.location_id)
    assert location is not None  # the foreign key cascades: a session never outlives it
    expired = sessions.past_expiry(cs, now=now)
    state = FlowState.load(cs.flow) if cs.flow else None
    ended = state is not None and state.ended
    if not ended and sessions.status_of(cs, now=now) == sessions.EXPIRED:
        raise ApiError(410, "connect_token_expired", "This Connect link has expired.")
    flow = Flow(session, cs, location, state or FlowState(route=START), now, base_url)
    if state is None or (
        flow.state.route == "tariff_summary" and not ended and flow.connected_tariff() is None
    ):
        # A new flow; or the summary's tariff was removed meanwhile (through the API, or by
        # another session): start the capture again.
        flow.state.route, flow.state.history = _first_route(flow), []
    if ended or expired:
        reply = _read_only(flow, request)
    else:
        sessions.begin(connect_session=cs)
        reply = _submit(flow, request)
    cs.flow = flow.state.dump()
    return reply


def _first_route(flow: Flow) -> str:
    """An existing tariff opens its summary (to manage it); else the address if Connect
    lacks part of it; else the provider (or, when the app named it, what follows)."""
    if flow.connected_tariff() is not None:
        return "tariff_summary"
    if not steps.address_complete(flow):
        return "postal_address_capture"
    return steps.after_address(flow)


def _submit(flow: Flow, request: FlowRequest) -> dict[str, Any]:
    state = flow.state
    if request.route == START:
        return _render(flow)
    step = steps.STEPS.get(request.route)
    if step is None:
        raise invalid("route_invalid", f"There is no page {request.route!r}.")
    if request.route != state.route:
        raise ApiError(
            409,
            "route_not_current",
            f"This session is on {state.route}, not {request.route}; "
            "send session_start to show the current page.",
        )
    action = request.action
    if action is None:
        following = step.submit(flow, request.data)
    elif action == "CLOSE" or (action == "SAVE" and step.route == "tariff_summary"):
        following = steps.END
    elif action == "BACK":
        following = state.route if state.back() else steps.END
    elif action in steps.offered_actions(flow, step):
        following = step.actions[action](flow)
    else:
        raise invalid("action_invalid", f"{action} is not an action of {step.route}.")
    if following == steps.END:
        return _leave(flow)
    state.go(following)
    if following == "tariff_summary":
        state.history = []  # the tariff is connected: nothing to go back to
    return _render(flow)


def _read_only(flow: Flow, request: FlowRequest) -> dict[str, Any]:
    """After the customer left for the callback (or the link expired on a completed session),
    the token shows the summary and leaves again, and changes nothing."""
    if request.route == START:
        if flow.connected_tariff() is None:
            return _leave(flow)
        return _reply(flow, "tariff_summary", ["CLOSE"], steps.render_summary(flow))
    if request.action in {"CLOSE", "SAVE", "BACK"}:
        return _leave(flow)
    raise ApiError(409, "connect_session_ended", "This Connect session has ended.")


def _render(flow: Flow) -> dict[str, Any]:
    step = steps.STEPS[flow.state.route]
    return _reply(flow, step.route, steps.offered_actions(flow, step), step.render(flow))


def _leave(flow: Flow) -> dict[str, Any]:
    """Send the customer to the app's callback with `fp_cot`; the session has ended."""
    flow.state.ended = True
    url = callback_with_token(flow.connect_session.callback_url, flow.connect_session.id)
    return _reply(flow, "session_redirect", [], {"redirect_url": url, "redirect_uri": url})


def callback_with_token(callback_url: str, token: str) -> str:
    """`callback_url` with `fp_cot=<token>` appended, its own query and fragment kept."""
    parts = urlsplit(callback_url)
    extra = urlencode({"fp_cot": token})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def _reply(flow: Flow, route: str, actions: list[str], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "connect_token": flow.connect_session.id,
        "route": route,
        "type": "render",
        "tariff_type": "COMMODITY",
        "direction": "IMPORT",
        "live_mode": flow.connect_session.live_mode,
        "actions": actions,
        "data": data,
    }
