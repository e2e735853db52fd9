"""Cross-site request forgery protection for the hosted pages: a double-submit cookie.

The browser holds a random value in an HttpOnly cookie scoped to the pages' path; every form
carries HMAC-SHA256(signing secret, cookie value + connect token). A forged post from another
site can neither read the cookie nor compute the field, and a field copied from one session
does not verify for another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

COOKIE_NAME = "tc_connect_csrf"
COOKIE_PATH = "/connect/web"
_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def new_value() -> str:
    return secrets.token_urlsafe(32)


def is_well_formed(cookie: str | None) -> bool:
    return cookie is not None and _VALUE.fullmatch(cookie) is not None


def field_value(secret: bytes, cookie: str, connect_token: str) -> str:
    """The hidden field's value for forms of this session, in the browser holding `cookie`."""
    message = (cookie + connect_token).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, cookie: str | None, connect_token: str, field: str | None) -> bool:
    """True when `field` is the value for this cookie and session."""
    if not is_well_formed(cookie) or not field or len(field) > 128:
        return False
    assert cookie is not None
    expected = field_value(secret, cookie, connect_token)
    return hmac.compare_digest(expected.encode(), field.encode())
