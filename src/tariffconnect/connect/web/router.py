"""The hosted Connect pages: `GET` and `POST /connect/web?fp_cot=cot_…`.

Server-rendered HTML driven by the Connect flow's state machine (the same one behind
`POST /connect/flow`, through `connect.flow.runner`): a GET shows the session's current step,
a POST answers it and, when the machine accepts, redirects (303) to the GET again, or to the
app's callback when the flow ends. No script; see docs/connect-hosted-pages.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tariffconnect.connect.flow import runner
from tariffconnect.connect.flow.machine import Answer
from tariffconnect.connect.flow.protocol import ROUTE_ALIASES, FlowRequest
from tariffconnect.connect.web import advanced_form, csrf, fields, forms, i18n, responses
from tariffconnect.connect.web.responses import error_page, see_other
from tariffconnect.connect.web.visit import PAGE_PATH, Visit, visit_of
from tariffconnect.core.errors import ApiError, Problem
from tariffconnect.core.threads import in_thread

log = logging.getLogger("tariffconnect.connect.web")
router = APIRouter(include_in_schema=False)

DONE_PATH = f"{PAGE_PATH}/done"
CSS_MAX_AGE = 86400
MAX_FIELDS = 50
# The one larger form: advanced_tariff_capture's grid, with the hidden fields and a button.
MAX_GRID_FIELDS = len(advanced_form.ADVANCED_FIELDS) + 10
TOKEN_ERROR_STATUSES = frozenset({404, 410})  # connect_token_invalid, connect_token_expired
# The machine's answers to a form for a page that is not the current one.
STALE_CODES = frozenset({"route_not_current", "route_invalid"})


# --- routes -----------------------------------------------------------------------------------


@router.get(responses.CSS_PATH, name="connect_web_css")
async def stylesheet() -> Response:
    headers = {
        "Cache-Control": f"public, max-age={CSS_MAX_AGE}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(responses.CSS, media_type="text/css; charset=utf-8", headers=headers)


@router.get(DONE_PATH, name="connect_web_done")
async def done(request: Request) -> Response:
    """The demo account's callback (`make run` prints a link that ends here): a stand-in for
    an app's own callback page. It reads nothing: the token is only shown."""
    visit = visit_of(request)
    token = visit.token if visit.token_ok else ""
    return responses.render(visit, "done.html", {"token": token})


@router.get(PAGE_PATH, name="connect_web")
async def show(request: Request) -> Response:
    """The session's current step."""
    visit = visit_of(request)
    if not visit.token_ok:
        return error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    return await _in_thread(visit, _show, {})


@router.post(PAGE_PATH, name="connect_web_submit")
async def submit(request: Request) -> Response:
    """An answer to a step (the hidden `route`): data, or a button's `action`."""
    visit = visit_of(request)
    if not visit.token_ok:
        return error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    form: dict[str, str] = {}
    try:
        async with request.form(max_files=0, max_fields=MAX_GRID_FIELDS) as parsed:
            items = parsed.multi_items()
            for key, value in items:
                if isinstance(value, str):
                    form.setdefault(key, value)  # the first of repeated fields
    except HTTPException:
        return error_page(visit, 400, "form_invalid", "The form could not be read.")
    if len(items) > MAX_FIELDS and form.get(forms.ROUTE_FIELD) != advanced_form.ADVANCED_ROUTE:
        return error_page(visit, 400, "form_invalid", "The form could not be read.")
    secret = visit.runtime.settings.signing_secret
    if not csrf.verify(secret, visit.cookie_sent, visit.token, form.get(forms.CSRF_FIELD)):
        return error_page(
            visit, 403, "csrf_invalid", "This form expired. Reload the page.", reload=True
        )
    return await _in_thread(visit, _submit, form)


async def _in_thread(
    visit: Visit,
    handler: Callable[[Visit, Mapping[str, str]], Response],
    form: Mapping[str, str],
) -> Response:
    """The handler in a worker thread, under the request deadline (core/threads.py)."""
    seconds = visit.runtime.settings.request_deadline_seconds
    try:
        return await in_thread(_safely, handler, visit, form, seconds=seconds)
    except ApiError as late:
        return responses.api_error_page(visit, late)


# --- handlers (worker threads) ---------------------------------------------------------------


def _safely(
    handler: Callable[[Visit, Mapping[str, str]], Response],
    visit: Visit,
    form: Mapping[str, str],
) -> Response:
    """The handler's answer; an unexpected failure is an HTML error page, not the API's JSON
    error object (the customer is looking at a page). The flow answers a database outage as
    its ApiError, shown like its other errors."""
    try:
        return handler(visit, form)
    except Exception:
        log.exception("unexpected error in the hosted pages")
        return error_page(visit, 500, "internal_error", "An unexpected error occurred.")


def _current(visit: Visit) -> Answer:
    """The current step, as a GET renders it (raises ApiError)."""
    resume = FlowRequest(route="session_start", connect_token=visit.token, type="submit")
    # Logo URLs as paths on this host (under any root path): what img-src 'self' allows.
    return runner.submit(visit.runtime, resume, base_url=visit.root_path)


def _show(visit: Visit, _form: Mapping[str, str]) -> Response:
    try:
        answer = _current(visit)
    except ApiError as error:
        return responses.api_error_page(visit, error)
    return responses.step(visit, answer)


def _submit(visit: Visit, form: Mapping[str, str]) -> Response:
    posted = form.get(forms.ROUTE_FIELD, "").strip()
    route = ROUTE_ALIASES.get(posted, posted)
    if not route or forms.has_garbage_action(form):
        return see_other(visit, visit.page_url)

    def request_for(currency_code: str | None) -> FlowRequest | None:
        # The one thing a form needs from the session: the currency its rates are in.
        # (And the page's language, which the schedule page's located messages are put in.)
        data = {"currency_code": currency_code, "lang": visit.lang}
        return forms.to_request(route, visit.token, form, data)

    try:
        answer = runner.submit_form(
            visit.runtime, visit.token, request_for, base_url=visit.root_path
        )
    except fields.FormInvalid as invalid:
        return _refused(visit, route, form, invalid.errors)
    except ApiError as error:
        if error.code in STALE_CODES:
            # A double submit, or a page the browser kept from earlier: show where the flow is.
            return see_other(visit, visit.page_url)
        if error.status in TOKEN_ERROR_STATUSES or error.status >= 500:
            return responses.api_error_page(visit, error)
        return _refused(visit, route, form, _field_errors(visit, route, form, error))
    if answer is None:  # nothing asked (a page without fields, sent without a button)
        return see_other(visit, visit.page_url)
    if answer.route == "session_redirect":
        return responses.leave(visit, answer)
    return see_other(visit, visit.page_url)


def _field_errors(
    visit: Visit, route: str, form: Mapping[str, str], error: ApiError
) -> list[fields.FieldError]:
    """Each problem the machine found in the submit, by the field it is about."""
    problems = error.problems or (Problem(error.code, error.message),)
    return [
        fields.FieldError(
            forms.field_of(route, problem.code, form, problem.field),
            problem.code,
            i18n.error_text(visit.lang, problem.code, problem.message),
            translated=False,
        )
        for problem in problems
    ]


def _refused(
    visit: Visit, route: str, form: Mapping[str, str], errors: Sequence[fields.FieldError]
) -> Response:
    """The submit was refused (nothing changed): the step again, with the errors and what the
    customer entered; or, if the flow is on another step by now, that step."""
    try:
        current = _current(visit)
    except ApiError as again:
        return responses.api_error_page(visit, again)
    if current.route != route:
        return see_other(visit, visit.page_url)
    entered = forms.entered(route, form)
    return responses.step(visit, current, errors=errors, entered=entered)
