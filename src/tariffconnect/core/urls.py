"""Validation of URLs that callers give us (Connect's connect_url and callback_url).

A URL we will later send a customer's browser to must not become a script, a local file or a
credential leak. Accepted: absolute `https` URLs; `http` only to localhost/127.0.0.1 (local
development); and custom app schemes (`myapp://...`) so native apps get a deep link back.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 2048
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# Schemes that run code, read local data or are not navigable app links.
FORBIDDEN_SCHEMES = frozenset(
    {"javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source"}
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def _any_case(word: str) -> str:
    """`word` as a regex matching it in any case ([Hh][Tt]...): JSON Schema has no flags."""
    return "".join(
        f"[{c.upper()}{c.lower()}]" if c.isalpha() else c.replace(".", r"\.") for c in word
    )


_FORBIDDEN = "|".join(_any_case(scheme) for scheme in sorted(FORBIDDEN_SCHEMES))
_LOCAL = "|".join(_any_case(host) for host in sorted(LOCAL_HOSTS))
_TEXT = r"[^\s\\\x00-\x1f\x7f]"
_HOST = r"[^\s\\@/?#\x00-\x1f\x7f]"
# What every accepted redirect URL matches, for the API schema: `scheme://` and something
# after it, no whitespace, control characters or backslashes, no user info, none of the
# FORBIDDEN_SCHEMES, and http only to LOCAL_HOSTS. (What it leaves out, a port that is not a
# number up to 65535 and an https URL without a host, is documented as a 400.)
REDIRECT_URL_PATTERN = (
    f"^(?!(?:{_FORBIDDEN}):)"
    f"(?!{_any_case('http')}://(?!(?:{_LOCAL})(?:[:/?#]|$)))"
    r"[A-Za-z][A-Za-z0-9+.-]*://"
    # Something after `://`: a host part (no user info), a path, or both. (Said without a
    # lookahead, which makes generators from the schema crawl.)
    f"(?:{_HOST}+(?:[/?#]{_TEXT}*)?|[/?#]{_TEXT}*)$"
)


class UrlError(ValueError):
    pass


def validate_redirect_url(value: str) -> str:
    """Return `value` if it is an acceptable redirect target, else raise UrlError (why)."""
    if len(value) > MAX_LENGTH:
        raise UrlError(f"must be at most {MAX_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise UrlError("must not contain whitespace or control characters")
    scheme, sep, _ = value.partition(":")
    if not sep or not _SCHEME.fullmatch(scheme.lower()):
        raise UrlError("must be an absolute URL with a scheme")
    scheme = scheme.lower()
    if scheme in FORBIDDEN_SCHEMES:
        raise UrlError(f"the {scheme}: scheme is not allowed")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise UrlError("is not a valid URL") from None
    if "@" in parts.netloc:
        raise UrlError("must not contain user info")
    if "\\" in value:
        raise UrlError("must not contain backslashes")
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        if not host or not value[len(scheme) :].startswith("://"):
            raise UrlError("must name a host")
        if scheme == "http" and host not in LOCAL_HOSTS:
            raise UrlError("must use https (http is allowed only for localhost)")
        if port == 0:
            raise UrlError("is not a valid URL")
        return value
    # A custom app scheme: a deep link such as myapp://nova/flatpeak/complete.
    if not value[len(scheme) :].startswith("://") or len(value) == len(scheme) + 3:
        raise UrlError("an app link must look like myapp://path")
    return value
