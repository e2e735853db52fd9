"""The hosted auth pages of built-in adapters: `GET` and `POST /connect/auth/{provider_id}`.

They are an auth module like any other, hosted here: they speak only the flow protocol
(`start_tariff_integration`, `auth_metadata_capture`, `consent_capture`, the extra steps and
the DISMISS_DIRECT / PROVIDER_CHANGE actions) through `connect.flow.runner.submit`, exactly as
an external module sends it over HTTP, and render each answer. Same look, languages, CSRF and
CSP as the hosted Connect pages; no script. A POST renders the flow's answer directly (a GET
starts the integration again, as a module's page does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tariffconnect.connect.flow import peek, runner
from tariffconnect.connect.flow.machine import Answer
from tariffconnect.connect.flow.protocol import FlowRequest
from tariffconnect.connect.web import auth_views, csrf, forms, views
from tariffconnect.connect.web.auth_views import AuthVisit, auth_visit_of, error_page
from tariffconnect.core.errors import ApiError
from tariffconnect.core.threads import in_thread

log = logging.getLogger("tariffconnect.connect.web")
router = APIRouter(include_in_schema=False)

PATH = f"{auth_views.AUTH_PATH}/{{provider_id}}"
MAX_FIELDS = 20
MAX_VALUE = 1024  # longer than any login field; the flow bounds the whole (4 KiB)
ACTIONS = frozenset({"DISMISS_DIRECT", "PROVIDER_CHANGE"})
CSS_MAX_AGE = 86400
MISMATCH = "provider_not_chosen"
MISMATCH_MESSAGE = "This login page is not the one for the energy provider you chose."


@router.get(auth_views.AUTH_CSS_PATH, name="connect_auth_css")
async def stylesheet() -> Response:
    headers = {
        "Cache-Control": f"public, max-age={CSS_MAX_AGE}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(auth_views.AUTH_CSS, media_type="text/css; charset=utf-8", headers=headers)


@router.get(PATH, name="connect_auth")
async def show(request: Request, provider_id: str) -> Response:
    """The start of the integration: the provider's login page."""
    visit = auth_visit_of(request, provider_id)
    if not visit.token_ok:
        return error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    return await _in_thread(visit, _start, {})


@router.post(PATH, name="connect_auth_submit")
async def submit(request: Request, provider_id: str) -> Response:
    """An answer to one of the auth pages (the hidden `route`): data, or an `action`."""
    visit = auth_visit_of(request, provider_id)
    if not visit.token_ok:
        return error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    form: dict[str, str] = {}
    try:
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as parsed:
            for key, value in parsed.multi_items():
                if isinstance(value, str):
                    form.setdefault(key, value)
    except HTTPException:
        return error_page(visit, 400, "form_invalid", "The form could not be read.")
    secret = visit.runtime.settings.signing_secret
    if not csrf.verify(secret, visit.cookie_sent, visit.token, form.get(forms.CSRF_FIELD)):
        return error_page(visit, 403, "csrf_invalid", "This form expired. Reload the page.")
    return await _in_thread(visit, _submit, form)


async def _in_thread(
    visit: AuthVisit,
    handler: Callable[[AuthVisit, Mapping[str, str]], Response],
    form: Mapping[str, str],
) -> Response:
    """The handler in a worker thread, under the request deadline plus the module time-out
    (a built-in adapter's login and the first pull run within the submit)."""
    settings = visit.runtime.settings
    seconds = settings.request_deadline_seconds + 2 * settings.auth_module_timeout_seconds
    try:
        return await in_thread(_safely, handler, visit, form, seconds=seconds)
    except ApiError as late:
        return _api_error(visit, late)


def _safely(
    handler: Callable[[AuthVisit, Mapping[str, str]], Response],
    visit: AuthVisit,
    form: Mapping[str, str],
) -> Response:
    try:
        return handler(visit, form)
    except ApiError as error:
        return _api_error(visit, error)
    except Exception:
        log.exception("unexpected error in the hosted auth pages")
        return error_page(visit, 500, "internal_error", "An unexpected error occurred.")


def _api_error(visit: AuthVisit, error: ApiError) -> Response:
    status = error.status if 400 <= error.status <= 599 else 500
    return error_page(visit, status, error.code, error.message)


def _send(visit: AuthVisit, request: FlowRequest) -> Answer:
    # Logo URLs as paths on this host, as the hosted Connect pages ask for them.
    return runner.submit(visit.runtime, request, base_url=visit.root_path)


def _not_this_provider(visit: AuthVisit) -> Response | None:
    """The mismatch page, before anything is sent, when the session chose another DIRECT
    provider than the path's, or one our adapter does not serve (a bound module wins)."""
    chosen = peek.chosen_direct(visit.runtime.db, visit.token)
    if chosen is None:  # no session, or no DIRECT choice: the flow answers its own error
        return None
    if chosen.provider_id != visit.provider_id or not chosen.via_adapter:
        return error_page(visit, 409, MISMATCH, MISMATCH_MESSAGE, again=False)
    return None


def _start(visit: AuthVisit, _form: Mapping[str, str]) -> Response:
    refused = _not_this_provider(visit)
    if refused is not None:
        return refused
    request = FlowRequest(
        route="start_tariff_integration",
        connect_token=visit.token,
        type="submit",
        data={"query": visit.front_end_query},
    )
    return _shown(visit, _send(visit, request), provider_named=True)


def _shown(visit: AuthVisit, answer: Answer, *, provider_named: bool = False) -> Response:
    """The flow's answer as a page, unless it names another provider than the path's (the
    login page always names the session's; later pages may)."""
    provider = views.data_of(answer.page).get("provider")
    chosen = provider.get("id") if isinstance(provider, Mapping) else None
    named = provider_named or chosen is not None
    if answer.route != "session_redirect" and named and chosen != visit.provider_id:
        return error_page(visit, 409, MISMATCH, MISMATCH_MESSAGE, again=False)
    return auth_views.page(visit, answer)


def _submit(visit: AuthVisit, form: Mapping[str, str]) -> Response:
    route = form.get(forms.ROUTE_FIELD, "").strip()
    if route not in auth_views.ROUTES:
        return auth_views.see_other(visit, visit.page_url)
    refused = _not_this_provider(visit)
    if refused is not None:
        return refused
    action = form.get(forms.ACTION_FIELD, "").strip().upper()
    if action:
        if action not in ACTIONS:
            return auth_views.see_other(visit, visit.page_url)
        request = FlowRequest(route=route, connect_token=visit.token, type="submit", action=action)
    else:
        data = _data(visit, route, form)
        if data is None:  # a page without fields, sent without a button
            return auth_views.see_other(visit, visit.page_url)
        request = FlowRequest(route=route, connect_token=visit.token, type="submit", data=data)
    return _shown(visit, _send(visit, request))


def _data(visit: AuthVisit, route: str, form: Mapping[str, str]) -> dict[str, Any] | None:
    """The submit's `data`, as an auth module sends it for `route`."""
    if route == "auth_metadata_capture":
        # The fields of the path's adapter in either mode: the flow checks the provider is
        # the session's, and which credentials it takes.
        fields = auth_views.credential_fields(visit.provider_id, live_mode=False)
        return {name: form.get(name, "")[:MAX_VALUE] for name, _label, _kind in fields}
    if route == "consent_capture":
        return {
            auth_views.AUTH_METADATA_FIELD: form.get(auth_views.AUTH_METADATA_FIELD, ""),
            "consent_given": True,
        }
    if route == "mfa_capture":
        return {auth_views.OTP_FIELD: form.get(auth_views.OTP_FIELD, "").strip()[:MAX_VALUE]}
    if route == "multiple_available_tariffs":
        return {auth_views.ACCOUNT_FIELD: form.get(auth_views.ACCOUNT_FIELD, "")[:MAX_VALUE]}
    return None
