"""DIRECT connections in the flow: the auth module's routes on `POST /connect/flow` and the
main front end's pages after the customer returns (docs/direct.md).

The module (an external server, or the hosted auth pages of a built-in adapter) speaks the
routes of `MODULE_ROUTES` while the session is at `steps.AUTH_MODULE`; `Direct.page` is the
module page it may answer. A built-in adapter's `authorise` runs before the flow's
transaction (the runner's `authorise_first`); the machine turns its outcome into the next
page. Consent opens the connection, which the runner pulls first after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from tariffconnect.accounts.models import Account
from tariffconnect.connect import service as sessions
from tariffconnect.connect import tokens
from tariffconnect.connect.flow import provider_pages, steps
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS, FlowRequest
from tariffconnect.connect.flow.state import Direct, Draft
from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.scoping import Scope
from tariffconnect.integrations import bindings, credentials, pull
from tariffconnect.integrations.adapters import base

START_ROUTE = "start_tariff_integration"
MODULE_ROUTES = frozenset(
    {
        START_ROUTE,
        "auth_metadata_capture",
        "consent_capture",
        "mfa_capture",
        "multiple_available_tariffs",
        "no_available_tariffs",
        "failed_login",
    }
)
# The module pages whose submit a built-in adapter authorises.
AUTHORISING_ROUTES = frozenset(
    {"auth_metadata_capture", "mfa_capture", "multiple_available_tariffs"}
)
MODULE_ACTIONS = ["DISMISS_DIRECT", "PROVIDER_CHANGE"]
PENDING_PAGE, FAILED_PAGE = "tariff_connection_pending", "tariff_connection_failed"
# The query parameters a front end may add to the module's URL, kept for the return.
QUERY_MAX_ITEMS, QUERY_MAX_LENGTH = 20, 512


@dataclass(frozen=True, slots=True)
class Redirect:
    """Send the browser to `url` without ending the session (the module, or back)."""

    url: str


@dataclass(frozen=True, slots=True)
class Page:
    route: str
    actions: list[str]
    data: dict[str, Any]


# -- where the customer goes -----------------------------------------------------------------


def module_redirect(flow: Flow) -> Redirect:
    """To the chosen provider's auth module, with `fp_cot`."""
    direct = _start_direct(flow)
    token = flow.connect_session.id
    route = bindings.direct_route(
        flow.db, direct.provider_id, live_mode=flow.connect_session.live_mode
    )
    url = bindings.module_url(flow.db, direct.provider_id) if route == "module" else None
    if url is None:  # a built-in adapter: the hosted auth pages
        url = f"{_origin(flow)}/connect/auth/{direct.provider_id}"
    parts = urlsplit(url)
    if not parts.path:  # a module's entry is its root page, `GET /?fp_cot=`
        url = urlunsplit(parts._replace(path="/"))
    return Redirect(with_query(url, {"fp_cot": token}))


def _origin(flow: Flow) -> str:
    """This service's absolute URL: the request's, else the configured one (the hosted
    Connect pages give a path prefix, and a browser leaves for the auth pages by URL)."""
    if flow.base_url.startswith(("https://", "http://")) or flow.settings is None:
        return flow.base_url
    return flow.settings.base_url + flow.base_url


def _start_direct(flow: Flow) -> Direct:
    """This session's login at the chosen provider: the one under way, else a fresh one (a
    login that reached consent is done; coming back starts again)."""
    provider_id = flow.state.draft.provider_id or ""
    current = flow.state.direct
    if current is None or current.provider_id != provider_id or _reached_consent(current):
        current = flow.state.direct = Direct(provider_id=provider_id)
    return current


def _reached_consent(direct: Direct) -> bool:
    return direct.consented or direct.connection_id is not None


def with_query(url: str, extra: dict[str, str]) -> str:
    """`url` with `extra` added to its query (its own query and fragment kept)."""
    parts = urlsplit(url)
    added = urlencode(extra)
    query = f"{parts.query}&{added}" if parts.query and added else parts.query or added
    return urlunsplit(parts._replace(query=query))


def _return(flow: Flow) -> Redirect:
    """Back to the main front end: `connect_url` with `fp_cot` and the login's remembered
    query (none once the login is dropped)."""
    remembered = flow.state.direct.query if flow.state.direct else {}
    extra = {**remembered, "fp_cot": flow.connect_session.id}
    return Redirect(with_query(flow.connect_session.connect_url, extra))


# -- the module's routes ---------------------------------------------------------------------


def module_submit(flow: Flow, request: FlowRequest) -> Page | Redirect:
    """One request of the auth module; raises the flow's errors (nothing changed)."""
    if request.route == "consent_capture" and request.action is None:
        _refuse_replayed_consent(flow, request.data or {})
    # (A session the app made for a DIRECT provider starts at the module: no render yet.)
    direct = _start_direct(flow) if flow.state.route == steps.AUTH_MODULE else None
    if direct is None:
        if flow.connect_session.status == sessions.COMPLETED:
            raise ApiError(409, "connect_session_ended", "This Connect session has ended.")
        raise ApiError(
            409, "direct_not_available", "This session has no DIRECT provider's login under way."
        )
    if request.action is not None:
        if request.action == "DISMISS_DIRECT":
            return dismiss(flow)
        if request.action == "PROVIDER_CHANGE":
            return _provider_change(flow)
        raise invalid("action_invalid", f"{request.action} is not an action of {request.route}.")
    if request.route == START_ROUTE:
        given = (request.data or {}).get("query")
        if given is not None:  # a later start (try again) without one keeps the first's
            direct.query = _query(given)
        return _show(flow, "auth_metadata_capture")
    if request.route != direct.page:
        raise ApiError(
            409,
            "route_not_current",
            f"This session is on {direct.page}, not {request.route}; "
            f"send {START_ROUTE} to show the current page.",
        )
    data = request.data or {}
    if request.route == "consent_capture":
        return _consent(flow, data)
    if request.route in AUTHORISING_ROUTES:
        return _credentials_given(flow, request.route, data)
    raise invalid("action_missing", f"Answer {request.route} with an action.")


def _query(given: Any) -> dict[str, str]:
    if (
        not isinstance(given, dict)
        or len(given) > QUERY_MAX_ITEMS
        or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) + len(v) <= QUERY_MAX_LENGTH
            for k, v in given.items()
        )
    ):
        raise invalid("query_invalid", "data.query must be an object of short strings.")
    return {k: v for k, v in given.items() if k != "fp_cot"}


def _show(flow: Flow, page: str) -> Page:
    direct = flow.state.direct
    assert direct is not None
    direct.page = page
    data: dict[str, Any] = {"provider": module_provider(flow), "account": _account(flow)}
    if page == "consent_capture":
        data["auth_metadata_id"] = direct.auth_metadata_id
    elif page == "mfa_capture":
        data["context"] = direct.context or {}
    elif page == "multiple_available_tariffs":
        data |= {"accounts": direct.accounts or [], "context": direct.context or {}}
    elif page == "failed_login":
        data["message"] = direct.message
    return Page(page, list(MODULE_ACTIONS), data)


def module_provider(flow: Flow) -> dict[str, Any]:
    """The provider as a module shows it (`accent_color` null: the module's own default)."""
    return {**flow.provider(), "accent_color": None}


def _account(flow: Flow) -> dict[str, Any]:
    """The app's account, as the module names it on its login and consent pages."""
    account = flow.db.get(Account, flow.connect_session.account_id)
    settings = flow.settings
    return {
        "display_name": account.name if account is not None else "",
        "privacy_url": (settings.connect_privacy_url if settings else "") or None,
        "terms_url": (settings.connect_terms_url if settings else "") or None,
    }


def _route(flow: Flow) -> str | None:
    direct = flow.state.direct
    assert direct is not None
    return bindings.direct_route(
        flow.db, direct.provider_id, live_mode=flow.connect_session.live_mode
    )


def _credentials_given(flow: Flow, route: str, data: dict[str, Any]) -> Page | Redirect:
    direct = flow.state.direct
    assert direct is not None
    given = credentials_of(flow.db, flow.scope, direct, route, data, secret=flow.secret)
    if _route(flow) != "adapter":  # an external module authorised them itself
        _keep(flow, given, reference=None)
        return _show(flow, "consent_capture")
    answered = flow.authorisation
    if answered is None or answered.credentials != given:
        # The runner asks the adapter for exactly these credentials; a different answer means
        # a concurrent submit changed the page meanwhile.
        raise ApiError(409, "route_not_current", "The page changed meanwhile; send it again.")
    return _apply(flow, given, answered.outcome)


def credentials_of(
    db: Session, scope: Scope, direct: Direct, route: str, data: dict[str, Any], *, secret: bytes
) -> dict[str, str]:
    """The credentials a submit of `route` gives: the login typed, or the stored ones with the
    one-time code or the chosen account added."""
    if route == "auth_metadata_capture":
        return credentials.check(data)
    stored = (
        credentials.load(db, secret=secret, scope=scope, auth_metadata_id=direct.auth_metadata_id)
        if direct.auth_metadata_id
        else None
    )
    if stored is None:
        raise ApiError(409, "route_not_current", "Log in again: send start_tariff_integration.")
    if route == "mfa_capture":
        code = data.get("otpCode")
        if not isinstance(code, str) or not code.strip():
            raise invalid("otp_code_missing", "Enter the code the provider sent you.")
        return credentials.check({**stored.credentials, "otpCode": code.strip()})
    account = data.get("account")
    if account is None or account == "":
        raise invalid("account_missing", "Choose your tariff.")
    if not isinstance(account, str) or account not in {a["id"] for a in direct.accounts or ()}:
        raise invalid("account_invalid", "That tariff is not one of those offered.")
    return credentials.check({**stored.credentials, "account": account})


def _apply(flow: Flow, given: dict[str, str], outcome: base.AuthOutcome) -> Page | Redirect:
    """The page a built-in adapter's answer leads to."""
    direct = flow.state.direct
    assert direct is not None
    if isinstance(outcome, base.Authorised):
        _keep(flow, given, reference=dict(outcome.reference))
        return _show(flow, "consent_capture")
    if isinstance(outcome, base.NeedsMfa):
        _keep(flow, given, reference=None)
        direct.context = dict(outcome.context)
        return _show(flow, "mfa_capture")
    if isinstance(outcome, base.SeveralTariffs):
        _keep(flow, given, reference=None)
        direct.accounts = [
            {"id": a.id, "name": a.name, "description": a.description} for a in outcome.accounts
        ]
        return _show(flow, "multiple_available_tariffs")
    _forget(flow)  # a login that leads nowhere keeps nothing
    if isinstance(outcome, base.FailedLogin):
        direct.message = outcome.message
        return _show(flow, "failed_login")
    if isinstance(outcome, base.NoTariffs):
        return _show(flow, "no_available_tariffs")
    flow.state.route = FAILED_PAGE
    return _return(flow)


def _keep(flow: Flow, given: dict[str, str], *, reference: dict[str, Any] | None) -> None:
    """Store the credentials (unconsented), or replace this login's unconsented ones (a
    consented row belongs to its connection until a new consent replaces that)."""
    direct = flow.state.direct
    assert direct is not None
    if direct.auth_metadata_id is not None and not direct.consented:
        credentials.replace(
            flow.db,
            secret=flow.secret,
            scope=flow.scope,
            auth_metadata_id=direct.auth_metadata_id,
            credentials=given,
            reference=reference,
        )
        return
    direct.auth_metadata_id = credentials.store(
        flow.db,
        secret=flow.secret,
        scope=flow.scope,
        connect_session_id=flow.connect_session.id,
        location_id=flow.location.id,
        provider_id=direct.provider_id,
        direction=flow.direction,
        tariff_type=flow.tariff_type,
        credentials=given,
        reference=reference,
        now=flow.now,
    )


def _forget(flow: Flow) -> None:
    """Delete this session's unconsented credentials, if any."""
    direct = flow.state.direct
    if direct is not None and direct.auth_metadata_id is not None and not direct.consented:
        credentials.delete(flow.db, scope=flow.scope, auth_metadata_id=direct.auth_metadata_id)
        direct.auth_metadata_id = None


def _given_id(data: dict[str, Any]) -> str:
    given = data.get("auth_metadata_id")
    if given is None or given == "":
        raise invalid("auth_metadata_id_missing", "data.auth_metadata_id is required.")
    if not isinstance(given, str):
        raise invalid("auth_metadata_id_invalid", "data.auth_metadata_id is not valid.")
    return given


def _refuse_replayed_consent(flow: Flow, data: dict[str, Any]) -> None:
    direct = flow.state.direct
    given = data.get("auth_metadata_id")
    if direct is not None and direct.consented and given == direct.auth_metadata_id:
        raise ApiError(409, "consent_already_given", "Consent was already given.")


def _consent(flow: Flow, data: dict[str, Any]) -> Redirect:
    direct = flow.state.direct
    assert direct is not None
    given = _given_id(data)
    if given != direct.auth_metadata_id:
        raise invalid("auth_metadata_id_invalid", "That auth_metadata_id is not this session's.")
    if data.get("consent_given") is not True:
        raise invalid("consent_given_invalid", "data.consent_given must be true.")
    credentials.record_consent(flow.db, scope=flow.scope, auth_metadata_id=given, now=flow.now)
    direct.consented = True
    if not flow.has_location:  # as connecting.connect: the location is made as it connects
        assert flow.state.address is not None
        captured = {name: flow.state.address.get(name) for name in ADDRESS_FIELDS}
        location_id = tokens.create_location(
            flow.db, connect_session=flow.connect_session, postal_address=captured
        )
        credentials.set_location(
            flow.db, scope=flow.scope, auth_metadata_id=given, location_id=location_id
        )
        found = flow.db.get(type(flow.location), location_id)
        assert found is not None
        flow.location = found
    direct.connection_id = pull.open_connection(
        flow.db,
        scope=flow.scope,
        location_id=flow.location.id,
        direction=flow.direction,
        tariff_type=flow.tariff_type,
        provider_id=direct.provider_id,
        auth_metadata_id=given,
        now=flow.now,
    )
    flow.opened = direct.connection_id
    flow.connect_session.provider_id = direct.provider_id
    flow.state.route = PENDING_PAGE  # session_start shows how the first pull went
    return _return(flow)


def dismiss(flow: Flow) -> Redirect:
    """DISMISS_DIRECT from the module: back to the library or manual path."""
    _forget(flow)
    flow.state.direct = None
    flow.state.route = provider_pages.after_direct(flow)
    return _return(flow)


def _provider_change(flow: Flow) -> Redirect:
    _forget(flow)
    flow.state.direct = None
    flow.state.draft = Draft()
    flow.state.route = "provider_select"
    return _return(flow)
