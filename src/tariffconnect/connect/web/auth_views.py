"""What the hosted auth pages show: the visit (whose session, which provider, which query),
each page's context, and the rendered answer with its headers and CSRF cookie."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from tariffconnect.connect import service as sessions
from tariffconnect.connect.flow.direct import QUERY_MAX_ITEMS, QUERY_MAX_LENGTH
from tariffconnect.connect.flow.machine import Answer
from tariffconnect.connect.web import csrf, i18n, responses, security, views
from tariffconnect.connect.web.visit import Visit, visit_of
from tariffconnect.core.urls import UrlError, validate_redirect_url
from tariffconnect.integrations.adapters.registry import adapter_for

AUTH_PATH = "/connect/auth"
AUTH_CSS_PATH = f"{AUTH_PATH}/static/auth.css"
# The hosted pages' stylesheet and the auth pages' additions (the wait panel), served as one.
AUTH_CSS = responses.CSS + resources.files(__package__).joinpath("static", "auth.css").read_bytes()
AUTH_CSS_VERSION = hashlib.sha256(AUTH_CSS).hexdigest()[:12]
# The pages the flow answers an auth module with; each has a template under templates/auth/.
ROUTES = frozenset(
    {
        "auth_metadata_capture",
        "consent_capture",
        "mfa_capture",
        "multiple_available_tariffs",
        "no_available_tariffs",
        "failed_login",
    }
)
# Fields of the extra steps (their names on the wire).
OTP_FIELD = "otpCode"
ACCOUNT_FIELD = "account"
AUTH_METADATA_FIELD = "auth_metadata_id"


@dataclass(frozen=True)
class AuthVisit(Visit):
    """A visit to the auth pages of one provider: its page URL keeps the query it came with."""

    provider_id: str = ""
    query: tuple[tuple[str, str], ...] = ()
    request_id: str = ""

    @property
    def page_url(self) -> str:
        path = f"{self.root_path}{AUTH_PATH}/{quote(self.provider_id, safe='')}"
        return f"{path}?{urlencode([('fp_cot', self.token), *self.query])}"

    @property
    def front_end_query(self) -> dict[str, str]:
        """The query parameters other than the token: what the main front end added."""
        return dict(self.query)


def auth_visit_of(request: Request, provider_id: str) -> AuthVisit:
    base = visit_of(request)
    # The main front end's query parameters handed back on the return, within the bounds the
    # flow accepts (`data.query`): the same constants, so a long one never fails the start.
    query = [
        (key, value[: QUERY_MAX_LENGTH - len(key)])
        for key, value in request.query_params.multi_items()
        if key != "fp_cot"
        and len(key) < QUERY_MAX_LENGTH
        and key.isprintable()
        and value.isprintable()
    ][:QUERY_MAX_ITEMS]
    state = request.scope.get("state") or {}
    return AuthVisit(
        runtime=base.runtime,
        token=base.token,
        lang=base.lang,
        cookie_sent=base.cookie_sent,
        cookie=base.cookie,
        secure=base.secure,
        root_path=base.root_path,
        own_origins=base.own_origins,
        provider_id=provider_id,
        query=tuple(dict(query).items()),
        request_id=str(state.get("request_id", "")),
    )


def credential_fields(provider_id: str, *, live_mode: bool) -> tuple[tuple[str, str, str], ...]:
    """The adapter's login fields (name, label, kind); none when no adapter serves it."""
    adapter = adapter_for(provider_id, live_mode=live_mode)
    return tuple(adapter.fields) if adapter is not None else ()


def render(
    visit: AuthVisit,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    forms: bool = True,
) -> Response:
    """`template` as the hosted pages render theirs, with the auth pages' stylesheet and the
    CSRF cookie scoped to the auth pages' path (where the browser sends it back). `forms`:
    the page has forms (an error page has none, and needs no database to be shown)."""
    css_url = f"{visit.root_path}{AUTH_CSS_PATH}?v={AUTH_CSS_VERSION}"
    extra: dict[str, Any] = {"css_url": css_url, "max_lengths": {}, "provider": None}
    context = {**extra, "request_id": visit.request_id, **context}
    form_action = _front_end_source(visit) if forms else []
    response = responses.render(visit, template, context, status=status, form_action=form_action)
    cookie = response.headers.get("set-cookie")
    if cookie is not None:
        web_path = f"Path={visit.root_path}{csrf.COOKIE_PATH};"
        response.headers["set-cookie"] = cookie.replace(
            web_path, f"Path={visit.root_path}{AUTH_PATH};", 1
        )
    return response


def _front_end_source(visit: AuthVisit) -> list[str]:
    """The main front end's origin (the session's `connect_url`): the pages' forms end in a
    303 there, and a browser checks form-action on the redirects after a form post."""
    if not visit.token_ok:
        return []
    with visit.runtime.db.transaction(write=False) as session:
        found = sessions.get_by_token(session, connect_token=visit.token)
        source = security.csp_source(found.connect_url) if found is not None else None
    return [source] if source else []


def see_other(visit: AuthVisit, url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=security.headers(visit))


def error_page(
    visit: AuthVisit, status: int, code: str, message: str, *, again: bool = True
) -> Response:
    """An error of the flow (or of the pages) with the request id, and a way to start over."""
    context = {
        "status": status,
        "code": code,
        "message": i18n.error_text(visit.lang, code, message),
        "again": again and visit.token_ok,
    }
    return render(visit, "auth/error.html", context, status=status, forms=False)


def page(visit: AuthVisit, answer: Answer) -> Response:
    """The page the flow answered; a 303 onwards when it sends the customer back."""
    if answer.route == "session_redirect":
        data = views.data_of(answer.page)
        target = data.get("redirect_uri") or data.get("redirect_url")
        try:
            if not isinstance(target, str):
                raise UrlError("no redirect_uri")
            validate_redirect_url(target)
        except UrlError:
            return error_page(visit, 500, "redirect_invalid", "The app's address is not valid.")
        return see_other(visit, target)
    if answer.route not in ROUTES:
        if answer.route == "error":
            data = views.data_of(answer.page)
            code = str(data.get("error_code") or "error")
            return error_page(visit, 409, code, str(data.get("error_message") or ""))
        return error_page(
            visit, 409, "route_not_current", "This page is not part of the connection any more."
        )
    _, context = views.step(visit, answer.page)
    context.update(_extra(visit, answer.route, views.data_of(answer.page), context))
    return render(visit, f"auth/{answer.route}.html", context)


def _extra(
    visit: AuthVisit, route: str, data: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    """Each page's own context: the login fields, the app's account, the choices."""
    account = data.get("account") if isinstance(data.get("account"), Mapping) else {}
    assert isinstance(account, Mapping)
    provider = context.get("provider") or {}
    extra: dict[str, Any] = {
        "provider_name": provider.get("name") or "",
        "account_name": _text(account.get("display_name")),
        "privacy_url": _link(account.get("privacy_url")),
        "terms_url": _link(account.get("terms_url")),
    }
    if route == "auth_metadata_capture":
        extra["login_fields"] = [
            {"name": name, "label": label, "kind": "password" if kind == "password" else "text"}
            for name, label, kind in credential_fields(
                visit.provider_id, live_mode=context.get("live_mode") is not False
            )
        ]
    elif route == "failed_login":
        extra["failure"] = _text(data.get("message"))  # the adapter's, matched in the page
    elif route == "consent_capture":
        extra["auth_metadata_id"] = _text(data.get(AUTH_METADATA_FIELD))
    elif route == "mfa_capture":
        mfa = data.get("context") if isinstance(data.get("context"), Mapping) else {}
        assert isinstance(mfa, Mapping)
        extra["destination"] = _text(mfa.get("destination"))
    elif route == "multiple_available_tariffs":
        accounts = data.get("accounts") if isinstance(data.get("accounts"), list) else []
        assert isinstance(accounts, list)
        extra["options"] = [
            {
                "value": item["id"],
                "label": _text(item.get("name")) or item["id"],
                "hint": _text(item.get("description")),
            }
            for item in accounts
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]
        ]
    return extra


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _link(value: Any) -> str | None:
    """An http(s) link of the app's account (privacy, terms), else none."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None
