"""One request to the hosted pages: whose session, in which language, with which cookie."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from fastapi import Request

from tariffconnect.connect.web import csrf, i18n
from tariffconnect.runtime import Runtime, runtime_of

PAGE_PATH = "/connect/web"
TOKEN_MAX_LENGTH = 64


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


def visit_of(request: Request) -> Visit:
    """The visit `request` makes: its token, language, CSRF cookie and this host's origins."""
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
