"""The pages' answers: a rendered page, an error page, a 303 onwards, the way back to the app.

Every answer carries the security headers; a rendered page also sets the CSRF cookie its
forms are signed for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, RedirectResponse, Response

from tariffconnect.connect.flow.machine import Answer
from tariffconnect.connect.web import fields, forms, i18n, security, views
from tariffconnect.connect.web.visit import PAGE_PATH, Visit
from tariffconnect.core.errors import ApiError
from tariffconnect.core.urls import UrlError, validate_redirect_url

CSS_PATH = f"{PAGE_PATH}/static/connect.css"
CSS = resources.files(__package__).joinpath("static", "connect.css").read_bytes()
CSS_VERSION = hashlib.sha256(CSS).hexdigest()[:12]
AUTH_PREFIX = "/connect/auth/"  # the hosted auth pages (auth_pages.py)


def see_other(visit: Visit, url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=security.headers(visit))


def render(
    visit: Visit,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    form_action: Iterable[str] = (),
) -> Response:
    """`template` with `context` over what every page gets (the language, the stylesheet,
    the form's hidden fields and empty defaults)."""
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
    headers = security.headers(visit, form_action)
    headers["Content-Language"] = visit.lang.code
    return security.with_cookie(visit, HTMLResponse(html, status_code=status, headers=headers))


def error_page(
    visit: Visit, status: int, code: str, message: str, *, reload: bool = False
) -> Response:
    context = {
        "status": status,
        "code": code,
        "message": i18n.error_text(visit.lang, code, message),
        "reload": reload and visit.token_ok,
    }
    return render(visit, "error.html", context, status=status)


def api_error_page(visit: Visit, error: ApiError) -> Response:
    """The flow's error (no such session, expired, the database unavailable) as a page."""
    status = error.status if 400 <= error.status <= 599 else 500
    return error_page(visit, status, error.code, error.message)


def step(
    visit: Visit,
    answer: Answer,
    *,
    errors: Sequence[fields.FieldError] = (),
    entered: Mapping[str, str] | None = None,
) -> Response:
    """The page the machine answered; off to the app when the flow ended."""
    if answer.route == "session_redirect":
        return leave(visit, answer)
    template, context = views.step(visit, answer.page, errors=errors, entered=entered)
    callback_source = security.csp_source(answer.callback_url)
    form_action = [callback_source] if callback_source else []
    return render(visit, template, context, form_action=form_action)


def leave(visit: Visit, answer: Answer) -> Response:
    """The flow ended: off to the app. A 303 when the page's form-action allows the target (a
    browser checks form-action on the redirects after a form post), else a page with a link."""
    data = views.data_of(answer.page)
    target = data.get("redirect_url") or data.get("redirect_uri")
    try:
        if not isinstance(target, str):
            raise UrlError("no redirect_url")
        validate_redirect_url(target)
    except UrlError:
        return error_page(visit, 500, "redirect_invalid", "The app's address is not valid.")
    own = _own_path(visit, target)
    if own is not None:
        return see_other(visit, own)
    allowed = {security.csp_source(answer.callback_url)}
    allowed |= {f"{scheme}://{netloc}" for scheme, netloc in visit.own_origins}
    if security.csp_source(target) in allowed - {None}:
        return see_other(visit, target)
    if not answer.ended:
        # Not the end but a provider's auth module elsewhere (DIRECT): this page's form-action
        # could not name it, so a page that moves on by itself (a meta refresh is navigation,
        # which form-action does not govern), with a link for a browser that does not.
        return render(visit, "auth_module_redirect.html", {"redirect_url": target, "data": data})
    return render(visit, "session_redirect.html", {"redirect_url": target, "data": data})


def _own_path(visit: Visit, target: str) -> str | None:
    """`target` as a path on this host when it is one of the hosted auth pages at this
    service's configured address (where RECONNECT leads): the host the customer is on serves
    it too, and a same-origin 303 is what the page's form-action allows."""
    parts = urlsplit(target)
    base = urlsplit(visit.runtime.settings.base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    if not parts.path.startswith(f"{visit.root_path}{AUTH_PREFIX}"):
        return None
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
