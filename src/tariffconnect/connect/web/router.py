"""The hosted Connect pages: `GET` and `POST /connect/web?fp_cot=cot_…`.

Server-rendered HTML driven by the Connect flow's state machine (the same one behind
`POST /connect/flow`): a GET shows the session's current step, a POST answers it and, when the
machine accepts, redirects (303) to the GET again, or to the app's callback when the flow
ends. No script; see docs/connect-hosted-pages.md.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anyio import to_thread
from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tariffconnect.connect.flow import machine
from tariffconnect.connect.flow.protocol import ROUTE_ALIASES, FlowRequest
from tariffconnect.connect.models import ConnectSession
from tariffconnect.connect.web import chart, csrf, forms, i18n
from tariffconnect.connect.web.forms import N_
from tariffconnect.core.errors import DATABASE_ERRORS, ApiError
from tariffconnect.core.urls import UrlError, validate_redirect_url
from tariffconnect.locations.models import Location
from tariffconnect.runtime import Runtime, runtime_of

log = logging.getLogger("tariffconnect.connect.web")
router = APIRouter(include_in_schema=False)

PAGE_PATH = "/connect/web"
CSS_PATH = f"{PAGE_PATH}/static/connect.css"
DONE_PATH = f"{PAGE_PATH}/done"
CSS = resources.files(__package__).joinpath("static", "connect.css").read_bytes()
CSS_VERSION = hashlib.sha256(CSS).hexdigest()[:12]
CSS_MAX_AGE = 86400
TOKEN_MAX_LENGTH = 64
MAX_FIELDS = 50
TEMPLATES = frozenset(forms.FIELDS) | {"tariff_summary", "error", "session_redirect"}
TOKEN_ERROR_STATUSES = frozenset({404, 410})  # connect_token_invalid, connect_token_expired
# The machine's answers to a form for a page that is not the current one.
STALE_CODES = frozenset({"route_not_current", "route_invalid"})
_HOST = re.compile(r"[a-z0-9.-]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_LOGO_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*/providers/[A-Za-z0-9_]+/logo\.svg")

LEVEL_NAMES = {chart.LOW: N_("Low"), chart.MEDIUM: N_("Medium"), chart.HIGH: N_("High")}
DAY_NAMES = {"today": N_("Today"), "tomorrow": N_("Tomorrow")}


@dataclass(frozen=True)
class Visit:
    """One request to the pages: whose session, in which language, with which cookie."""

    runtime: Runtime
    token: str
    lang: i18n.Lang
    cookie_sent: str | None  # the CSRF cookie as the browser sent it
    cookie: str  # the one the page's forms are signed for (new when none was sent)
    secure: bool  # the browser reached us over https
    root_path: str
    own_origins: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def token_ok(self) -> bool:
        return 0 < len(self.token) <= TOKEN_MAX_LENGTH and self.token.isprintable()

    @property
    def page_url(self) -> str:
        query = {"fp_cot": self.token}
        if self.lang.override:
            query["lang"] = self.lang.code
        return f"{self.root_path}{PAGE_PATH}?{urlencode(query)}"

    @property
    def csrf_field(self) -> str:
        return csrf.field_value(self.runtime.settings.signing_secret, self.cookie, self.token)


def _visit(request: Request) -> Visit:
    runtime = runtime_of(request)
    settings = runtime.settings
    sent = request.cookies.get(csrf.COOKIE_NAME)
    cookie = sent if sent is not None and csrf.is_well_formed(sent) else csrf.new_value()
    lang = i18n.choose(request.headers.get("accept-language"), request.query_params.get("lang"))
    origins = {(request.url.scheme, request.url.netloc)}
    if settings.public_base_url:
        base = urlsplit(settings.public_base_url)
        origins.add((base.scheme, base.netloc))
    return Visit(
        runtime=runtime,
        token=request.query_params.get("fp_cot", "").strip(),
        lang=lang,
        cookie_sent=sent,
        cookie=cookie,
        secure=request.url.scheme == "https" or settings.public_base_url.startswith("https://"),
        root_path=str(request.scope.get("root_path", "")).rstrip("/"),
        own_origins=frozenset(origins),
    )


# --- routes -----------------------------------------------------------------------------------


@router.get(CSS_PATH, name="connect_web_css")
async def stylesheet() -> Response:
    headers = {
        "Cache-Control": f"public, max-age={CSS_MAX_AGE}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(CSS, media_type="text/css; charset=utf-8", headers=headers)


@router.get(DONE_PATH, name="connect_web_done")
async def done(request: Request) -> Response:
    """The demo account's callback (`make run` prints a link that ends here): a stand-in for
    an app's own callback page. It reads nothing: the token is only shown."""
    visit = _visit(request)
    token = visit.token if visit.token_ok else ""
    return _render(visit, "done.html", {"token": token})


@router.get(PAGE_PATH, name="connect_web")
async def show(request: Request) -> Response:
    """The session's current step."""
    visit = _visit(request)
    if not visit.token_ok:
        return _error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    return await to_thread.run_sync(_safely, _show, visit, {})


@router.post(PAGE_PATH, name="connect_web_submit")
async def submit(request: Request) -> Response:
    """An answer to a step (the hidden `route`): data, or a button's `action`."""
    visit = _visit(request)
    if not visit.token_ok:
        return _error_page(visit, 404, "connect_token_invalid", "No such Connect session.")
    form: dict[str, str] = {}
    try:
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as parsed:
            for key, value in parsed.multi_items():
                if isinstance(value, str):
                    form.setdefault(key, value)  # the first of repeated fields
    except HTTPException:
        return _error_page(visit, 400, "form_invalid", "The form could not be read.")
    secret = visit.runtime.settings.signing_secret
    if not csrf.verify(secret, visit.cookie_sent, visit.token, form.get(forms.CSRF_FIELD)):
        return _error_page(
            visit, 403, "csrf_invalid", "This form expired. Reload the page.", reload=True
        )
    return await to_thread.run_sync(_safely, _submit, visit, form)


# --- handlers (worker threads) ---------------------------------------------------------------


def _safely(
    handler: Callable[[Visit, Mapping[str, str]], Response],
    visit: Visit,
    form: Mapping[str, str],
) -> Response:
    """The handler's answer; an unexpected failure is an HTML error page, not the API's JSON
    error object (the customer is looking at a page)."""
    try:
        return handler(visit, form)
    except DATABASE_ERRORS:
        log.warning("database unavailable for the hosted pages", exc_info=True)
        return _error_page(visit, 503, "database_unavailable", "Try again in a moment.")
    except Exception:
        log.exception("unexpected error in the hosted pages")
        return _error_page(visit, 500, "internal_error", "An unexpected error occurred.")


def _resume(token: str) -> FlowRequest:
    return FlowRequest(route="session_start", connect_token=token, type="submit")


def _callback_url(session: Session, token: str) -> str | None:
    found = session.get(ConnectSession, token)
    return found.callback_url if found is not None else None


def _advance(session: Session, visit: Visit, request: FlowRequest) -> dict[str, Any]:
    # Logo URLs as paths on this host (under any root path): what img-src 'self' allows.
    return machine.advance(session, request, base_url=visit.root_path)


def _current(visit: Visit) -> tuple[dict[str, Any], str | None]:
    """The current step, as a GET renders it (raises ApiError)."""
    with visit.runtime.db.transaction(write=True) as session:
        reply = _advance(session, visit, _resume(visit.token))
        return reply, _callback_url(session, visit.token)


def _show(visit: Visit, _form: Mapping[str, str]) -> Response:
    try:
        reply, callback_url = _current(visit)
    except ApiError as error:
        return _flow_error_page(visit, error)
    return _step(visit, reply, callback_url=callback_url)


def _submit(visit: Visit, form: Mapping[str, str]) -> Response:
    posted = form.get(forms.ROUTE_FIELD, "").strip()
    route = ROUTE_ALIASES.get(posted, posted)
    if not route or forms.has_garbage_action(form):
        return _see_other(visit, visit.page_url)
    try:
        with visit.runtime.db.transaction(write=True) as session:
            found = session.get(ConnectSession, visit.token)
            callback_url = found.callback_url if found is not None else None
            # The one thing a form needs from the session: the currency its rates are in.
            location = session.get(Location, found.location_id) if found is not None else None
            page = {"currency_code": location.currency_code if location else None}
            request = forms.to_request(route, visit.token, form, page)
            if request is None:  # nothing asked (a page without fields, sent without a button)
                return _see_other(visit, visit.page_url)
            reply = _advance(session, visit, request)
    except forms.FormInvalid as invalid:
        return _refused(visit, route, form, invalid.errors)
    except ApiError as error:
        if error.code in STALE_CODES:
            # A double submit, or a page the browser kept from earlier: show where the flow is.
            return _see_other(visit, visit.page_url)
        if error.status in TOKEN_ERROR_STATUSES or error.status >= 500:
            return _flow_error_page(visit, error)
        message = i18n.error_text(visit.lang, error.code, error.message)
        field = forms.field_of(route, error.code, form)
        problem = forms.FieldError(field, error.code, message, translated=False)
        return _refused(visit, route, form, [problem])
    if reply.get("route") == "session_redirect":
        return _leave(visit, reply, callback_url)
    return _see_other(visit, visit.page_url)


def _refused(
    visit: Visit, route: str, form: Mapping[str, str], errors: Sequence[forms.FieldError]
) -> Response:
    """The submit was refused (nothing changed): the step again, with the errors and what the
    customer entered; or, if the flow is on another step by now, that step."""
    try:
        current, callback_url = _current(visit)
    except ApiError as again:
        return _flow_error_page(visit, again)
    if current.get("route") != route:
        return _see_other(visit, visit.page_url)
    entered = forms.entered(route, form)
    return _step(visit, current, callback_url=callback_url, errors=errors, entered=entered)


# --- answers ----------------------------------------------------------------------------------


def csp_source(url: str | None) -> str | None:
    """The CSP source expression that allows navigating to `url`: its origin for http(s), its
    scheme for an app link (`myapp:`); None when it cannot be expressed safely."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        if not _HOST.fullmatch(host):
            return None
        return f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    if _SCHEME.fullmatch(scheme):
        return f"{scheme}:"
    return None


def _security_headers(visit: Visit, form_action: Iterable[str] = ()) -> dict[str, str]:
    settings = visit.runtime.settings
    sources = " ".join(dict.fromkeys(["'self'", *form_action]))
    ancestors = settings.connect_web_frame_ancestors.strip() or "'none'"
    policy = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
        f"form-action {sources}; frame-ancestors {ancestors}"
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def _with_cookie(visit: Visit, response: Response) -> Response:
    if visit.cookie_sent != visit.cookie:
        response.set_cookie(
            csrf.COOKIE_NAME,
            visit.cookie,
            max_age=visit.runtime.settings.connect_session_ttl_seconds,
            path=f"{visit.root_path}{csrf.COOKIE_PATH}",
            httponly=True,
            secure=visit.secure,
            # Framed in another site's page, only SameSite=None cookies are sent (and those
            # must be Secure); a top-level page is fine with Lax.
            samesite="none" if visit.secure else "lax",
        )
    return response


def _see_other(visit: Visit, url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=_security_headers(visit))


def _render(
    visit: Visit,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    form_action: Iterable[str] = (),
) -> Response:
    env = i18n.ENVIRONMENTS[visit.lang.code]
    base = {
        "lang": visit.lang.code,
        "fmt": i18n.Formatter(visit.lang),
        "css_url": f"{visit.root_path}{CSS_PATH}?v={CSS_VERSION}",
        "action_url": visit.page_url,
        "page_url": visit.page_url,
        "csrf_name": forms.CSRF_FIELD,
        "csrf_value": visit.csrf_field,
        "route_name": forms.ROUTE_FIELD,
        "action_name": forms.ACTION_FIELD,
        "actions": (),
        "errors": (),
        "field_errors": {},
        "values": {},
        "max_lengths": forms.MAX_LENGTHS,
        "data": {},
        "options": (),
        "close_in_page": False,
        "live_mode": True,
    }
    html = env.get_template(template).render({**base, **context})
    headers = _security_headers(visit, form_action)
    headers["Content-Language"] = visit.lang.code
    return _with_cookie(visit, HTMLResponse(html, status_code=status, headers=headers))


def _error_page(
    visit: Visit, status: int, code: str, message: str, *, reload: bool = False
) -> Response:
    context = {
        "status": status,
        "code": code,
        "message": i18n.error_text(visit.lang, code, message),
        "reload": reload and visit.token_ok,
    }
    return _render(visit, "error.html", context, status=status)


def _flow_error_page(visit: Visit, error: ApiError) -> Response:
    status = error.status if 400 <= error.status <= 599 else 500
    return _error_page(visit, status, error.code, error.message)


def _data(reply: Mapping[str, Any]) -> dict[str, Any]:
    data = reply.get("data")
    return dict(data) if isinstance(data, Mapping) else {}


def _leave(visit: Visit, reply: Mapping[str, Any], callback_url: str | None) -> Response:
    """The flow ended: off to the app. A 303 when the page's form-action allows the target (a
    browser checks form-action on the redirects after a form post), else a page with a link."""
    data = _data(reply)
    target = data.get("redirect_url") or data.get("redirect_uri")
    try:
        if not isinstance(target, str):
            raise UrlError("no redirect_url")
        validate_redirect_url(target)
    except UrlError:
        return _error_page(visit, 500, "redirect_invalid", "The app's address is not valid.")
    allowed = {csp_source(callback_url)} | {f"{s}://{n}" for s, n in visit.own_origins}
    if csp_source(target) in allowed - {None}:
        return _see_other(visit, target)
    return _render(visit, "session_redirect.html", {"redirect_url": target, "data": data})


def _step(
    visit: Visit,
    reply: Mapping[str, Any],
    *,
    callback_url: str | None,
    errors: Sequence[forms.FieldError] = (),
    entered: Mapping[str, str] | None = None,
) -> Response:
    route = str(reply.get("route") or "")
    if route == "session_redirect":
        return _leave(visit, reply, callback_url)
    data = _data(reply)
    fmt = i18n.Formatter(visit.lang)
    values = forms.values(route, data, fmt.input_number)
    values.update(entered or {})
    shown: list[dict[str, str | None]] = []
    field_errors: dict[str, str] = {}
    for error in errors:
        message = i18n.field_error_text(visit.lang, error)
        shown.append(
            {"anchor": forms.anchor(error.field) if error.field else None, "message": message}
        )
        if error.field:
            field_errors.setdefault(error.field, message)
    actions = [a for a in reply.get("actions") or () if isinstance(a, str)]
    context: dict[str, Any] = {
        "route": route,
        "data": data,
        "actions": actions,
        "values": values,
        "errors": shown,
        "field_errors": field_errors,
        "live_mode": reply.get("live_mode") is not False,
        "provider": _provider(visit, data.get("provider")),
        "address": _address_text(data.get("postal_address"), fmt),
        "unit": fmt.rate_unit(data.get("currency_code")),
        "example": fmt.example(data.get("currency_code")),
    }
    if route == "postal_address_capture":
        context["countries"] = i18n.countries(visit.lang.code)
    elif route == "provider_select":
        providers = [_provider(visit, item) for item in _list(data.get("providers"))]
        context["options"] = [
            {"value": p["id"], "label": p["name"], "logo": p["logo"]} for p in providers if p
        ]
    elif route == "tariff_select":
        context["options"] = [
            {"value": t.get("id"), "label": t.get("name"), "hint": t.get("description")}
            for t in _list(data.get("tariffs"))
            if isinstance(t, Mapping) and isinstance(t.get("id"), str)
        ]
    elif route in ("region_select", "surcharge_capture"):
        context["options"] = [
            {"value": r, "label": r} for r in _list(data.get("regions")) if isinstance(r, str)
        ]
    elif route == "tariff_summary":
        context["close_in_page"] = True
        context["summary"] = _summary(visit, data, fmt)
    elif route == "error":
        code = str(data.get("error_code") or "")
        context["message"] = i18n.error_text(visit.lang, code, str(data.get("error_message") or ""))
        context["code"] = code
    template = f"{route}.html" if route in TEMPLATES else "step.html"
    callback_source = csp_source(callback_url)
    form_action = [callback_source] if callback_source else []
    return _render(visit, template, context, form_action=form_action)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _provider(visit: Visit, provider: Any) -> dict[str, Any] | None:
    if not isinstance(provider, Mapping):
        return None
    name = provider.get("display_name") or provider.get("name")
    if not isinstance(name, str) or not name:
        return None
    return {
        "id": provider.get("id") if isinstance(provider.get("id"), str) else "",
        "name": name,
        "logo": _logo_src(visit, provider.get("logo_url")),
    }


def _logo_src(visit: Visit, url: Any) -> str | None:
    """A provider logo the page's CSP (img-src 'self') lets load: our own logo endpoint, as a
    path. Anything else is dropped rather than widening the policy."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) not in visit.own_origins:
        return None
    if not _LOGO_PATH.fullmatch(parts.path):
        return None
    return parts.path


def _address_text(address: Any, fmt: i18n.Formatter) -> str:
    if not isinstance(address, Mapping):
        return ""
    parts = [
        address.get(name)
        for name in ("address_line1", "address_line2", "city", "state", "post_code")
    ]
    parts.append(fmt.country(address.get("country_code")))
    return ", ".join(p for p in parts if isinstance(p, str) and p.strip())


def _summary(visit: Visit, data: Mapping[str, Any], fmt: i18n.Formatter) -> dict[str, Any]:
    """The tariff summary's view: its rates by day, each with a chart."""
    gettext = i18n.TRANSLATIONS[visit.lang.code].gettext
    tariff = data.get("tariff") if isinstance(data.get("tariff"), Mapping) else {}
    assert isinstance(tariff, Mapping)
    currency = data.get("currency_code") if isinstance(data.get("currency_code"), str) else None
    try:
        zone = ZoneInfo(str(data.get("timezone"))) if data.get("timezone") else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    rates = data.get("rates") if isinstance(data.get("rates"), Mapping) else {}
    assert isinstance(rates, Mapping)
    structure = str(tariff.get("structure_type") or "FIXED").upper()
    days: list[dict[str, Any]] = []
    for key, day_name in DAY_NAMES.items():
        entries = rates.get(key)
        periods = chart.periods(entries if isinstance(entries, list) else [], zone)
        rows = [
            {
                "start": fmt.time(period.start),
                "end": fmt.time(period.end),
                "price": fmt.rate(period.cost, currency),
                "level": gettext(LEVEL_NAMES[period.level]),
                "level_key": period.level.lower(),
            }
            for period in periods
        ]
        svg: Markup | None = None
        bars = chart.hourly(periods)
        if bars and structure != "FIXED":
            low, high = min(p.cost for p in periods), max(p.cost for p in periods)

            def bar_title(bar: chart.Period) -> str:
                level = gettext(LEVEL_NAMES[bar.level])
                span = f"{fmt.time(bar.start)}\u2013{fmt.time(bar.end)}"
                return f"{span}: {fmt.rate(bar.cost, currency)} ({level})"

            svg = chart.svg(
                bars,
                chart_id=f"chart-{key}",
                title=gettext("Prices %(day)s, %(date)s")
                % {"day": gettext(day_name).lower(), "date": fmt.date(periods[0].start)},
                description=gettext("From %(low)s to %(high)s per hour.")
                % {"low": fmt.rate(low, currency), "high": fmt.rate(high, currency)},
                bar_title=bar_title,
            )
        days.append(
            {
                "key": key,
                "name": gettext(day_name),
                "date": fmt.date(periods[0].start) if periods else "",
                "rows": rows,
                "chart": svg,
            }
        )
    today = days[0]["rows"]
    return {
        "name": tariff.get("name") if isinstance(tariff.get("name"), str) else "",
        "structure": structure,
        "tiered": tariff.get("tiered") is True,
        "contract_end": fmt.date(tariff.get("contract_end_date")),
        "currency": currency or "",
        "fixed_rate": today[0]["price"] if today else None,
        "market": data.get("market_rates_source") is True,
        "days": days,
    }
