"""The Connect flow's state machine: one submit in, the next page (or an error) out.

`advance` is the entry point, used by the JSON API, and by the hosted pages as
`advance_form` (which builds the request once the session's currency is known); `runner`
calls either in a transaction of its own. The machine runs inside the caller's write
transaction and locks the session's row, so two submits of one session never interleave;
when it raises, the caller rolls back and nothing has changed.

An auth module's routes (direct.MODULE_ROUTES) are answered by connect/flow/direct.py while
the session is at its module; session_start after its return resumes as returning.py says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.connect import service as sessions
from tariffconnect.connect import tokens
from tariffconnect.connect.flow import connecting, direct, returning, steps
from tariffconnect.connect.flow.context import Authorisation, Flow, pending_location
from tariffconnect.connect.flow.protocol import FlowRequest, context_of
from tariffconnect.connect.flow.state import FlowState
from tariffconnect.connect.models import ConnectSession
from tariffconnect.core import versions
from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.timeutil import utcnow
from tariffconnect.locations.models import Location

START = "session_start"
STEPS = {**steps.STEPS, **returning.STEPS}
# Builds a front end's request from the session's currency; None when there is nothing to ask.
RequestFor = Callable[[str | None], FlowRequest | None]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one submit produced: the page to show next (the JSON API's reply as it is) and
    the session's callback URL, which the hosted pages need around it."""

    page: dict[str, Any]
    callback_url: str
    # The session's release, and whether this answer sends the customer to the callback
    # (the JSON API names both in a zero session's terms: protocol.for_client).
    release: str = versions.BUSBAR
    ended: bool = False
    # A DIRECT connection opened by this submit, for the runner's first pull after commit.
    opened: str | None = None

    @property
    def route(self) -> str:
        return str(self.page.get("route") or "")


@dataclass(frozen=True, slots=True)
class Setup:
    """What DIRECT routes need beyond the database: the settings (None: DIRECT unavailable),
    the secret key, and a built-in adapter's answer the runner obtained first."""

    base_url: str = ""
    settings: Settings | None = None
    secret: bytes = b""
    authorisation: Authorisation | None = None


def advance(
    session: Session, request: FlowRequest, *, base_url: str = "", setup: Setup | None = None
) -> Answer:
    """Apply one submit and answer the page to show next (errors in the context of the route
    as the client named it).

    `base_url` prefixes the provider logo URLs (empty: paths on this host).
    """
    connect_session, stored = _load(session, request.connect_token)
    return _answer(session, connect_session, stored, request, setup or Setup(base_url=base_url))


def advance_form(
    session: Session,
    token: str,
    request_for: RequestFor,
    *,
    base_url: str = "",
    setup: Setup | None = None,
) -> Answer | None:
    """`advance` with the request `request_for` builds from the session's currency (the hosted
    pages take rates in its minor unit); None, changing nothing, when it builds none."""
    connect_session, stored = _load(session, token)
    state = FlowState.load(connect_session.flow) if connect_session.flow else None
    request = request_for(_location(connect_session, stored, state).currency_code)
    if request is None:
        return None
    return _answer(session, connect_session, stored, request, setup or Setup(base_url=base_url))


def _answer(
    session: Session,
    connect_session: ConnectSession,
    stored: Location | None,
    request: FlowRequest,
    setup: Setup,
) -> Answer:
    try:
        page, opened = _advance(session, connect_session, stored, request, setup)
    except ApiError as error:  # the flow's own checks, or a service's (address, schedule)
        # Answered in the context of the page answered, in the session's mode.
        error.context = context_of(request.asked_route or request.route)
        error.live_mode = connect_session.live_mode
        raise
    ended = page.get("route") == steps.END and bool((connect_session.flow or {}).get("ended"))
    return Answer(
        page=page,
        callback_url=connect_session.callback_url,
        release=connect_session.release,
        ended=ended,
        opened=opened,
    )


def _load(session: Session, token: str) -> tuple[ConnectSession, Location | None]:
    """The session (locked) and its stored location, in one round trip."""
    found = sessions.load_by_token(session, connect_token=token, lock=True)
    if found is None:
        raise ApiError(404, "connect_token_invalid", "This Connect link is not valid.")
    return found


def _location(cs: ConnectSession, stored: Location | None, state: FlowState | None) -> Location:
    """The session's location; for a session created without one, the location it will
    create (from the address captured so far), not stored until the flow completes."""
    if cs.location_id is None:
        return pending_location(cs, state.address if state else None)
    assert stored is not None  # the foreign key cascades: a session never outlives it
    return stored


def _advance(
    session: Session,
    cs: ConnectSession,
    stored: Location | None,
    request: FlowRequest,
    setup: Setup,
) -> tuple[dict[str, Any], str | None]:
    now = utcnow()
    state = FlowState.load(cs.flow) if cs.flow else None
    location = _location(cs, stored, state)
    expired = sessions.past_expiry(cs, now=now)
    ended = state is not None and state.ended
    if not ended and sessions.status_of(cs, now=now) == sessions.EXPIRED:
        raise ApiError(410, "connect_token_expired", "This Connect link has expired.")
    flow = Flow(
        session,
        cs,
        location,
        state or FlowState(route=START),
        now,
        setup.base_url,
        settings=setup.settings,
        secret=setup.secret,
        authorisation=setup.authorisation,
    )
    if state is None or (
        flow.state.route == "tariff_summary" and not ended and flow.connected_tariff() is None
    ):
        # A new flow; or the summary's tariff was removed meanwhile (through the API, or by
        # another session): start the capture again.
        flow.state.route, flow.state.history = _first_route(flow), []
    if ended or expired:
        reply = _read_only(flow, request)
    elif state is None and tokens.option(cs, "actions", "disconnect_tariff"):
        # The app asked for the tariff to go, with no page shown: done at the first request.
        sessions.begin(connect_session=cs)
        connecting.disconnect(flow)
        reply = _leave(flow)
    else:
        sessions.begin(connect_session=cs)
        reply = _submit(flow, request)
    cs.flow = flow.state.dump()
    return reply, flow.opened


def _first_route(flow: Flow) -> str:
    """An existing tariff opens its summary (to manage it; unless the token asks to edit
    it); else the address if Connect lacks part of it; else the provider (or, when the app
    named it, what follows)."""
    editing = bool(tokens.option(flow.connect_session, "actions", "edit_tariff"))
    if flow.connected_tariff() is not None and not editing:
        return "tariff_summary"
    if not steps.address_complete(flow):
        return "postal_address_capture"
    return steps.after_address(flow)


def _submit(flow: Flow, request: FlowRequest) -> dict[str, Any]:
    state = flow.state
    if request.route == START:
        returning.resume(flow)
        return _render(flow)
    if request.route in direct.MODULE_ROUTES:
        return _module(flow, request)
    step = STEPS.get(request.route)
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
    elif action == "BACK" and step.back:
        if step.on_back is not None:
            step.on_back(flow)
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


def _module(flow: Flow, request: FlowRequest) -> dict[str, Any]:
    """An auth module's request: its next page, or the redirect back to the main front end."""
    if flow.settings is None:  # a caller without the service's settings cannot seal
        raise ApiError(409, "direct_not_available", "DIRECT connections are not available here.")
    answer = direct.module_submit(flow, request)
    if isinstance(answer, direct.Redirect):
        return _reply(flow, "session_redirect", [], _redirect(answer.url))
    return _reply(flow, answer.route, answer.actions, answer.data)


def _redirect(url: str) -> dict[str, Any]:
    """`session_redirect` data: the browser goes to `url` (both names of the protocol)."""
    return {"redirect_url": url, "redirect_uri": url}


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
    if flow.state.route == steps.AUTH_MODULE:
        return _reply(flow, "session_redirect", [], _redirect(direct.module_redirect(flow).url))
    step = STEPS[flow.state.route]
    return _reply(flow, step.route, steps.offered_actions(flow, step), step.render(flow))


def _leave(flow: Flow) -> dict[str, Any]:
    """Send the customer to the app's callback with `fp_cot`; the session has ended."""
    flow.state.ended = True
    url = callback_with_token(flow.connect_session.callback_url, flow.connect_session.id)
    return _reply(flow, "session_redirect", [], _redirect(url))


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
        "tariff_type": flow.tariff_type,
        "direction": flow.direction,
        "live_mode": flow.connect_session.live_mode,
        "actions": actions,
        "data": data,
    }
