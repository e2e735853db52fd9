"""What a browser is told to keep the pages safe: the Content-Security-Policy (and the other
headers every answer carries), and the CSRF cookie (`csrf` computes what it signs)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.responses import Response

from tariffconnect.connect.web import csrf
from tariffconnect.connect.web.visit import Visit

_HOST = re.compile(r"[a-z0-9.-]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


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


def headers(visit: Visit, form_action: Iterable[str] = ()) -> dict[str, str]:
    """The headers of every answer: no script, forms posted only to us (and `form_action`),
    framed only where the operator allows, no referrer, never cached."""
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


def with_cookie(visit: Visit, response: Response) -> Response:
    """`response`, setting the CSRF cookie the page's forms are signed for when the browser
    did not send it."""
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
