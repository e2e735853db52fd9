"""connect_url and callback_url: what a customer's browser may be sent to."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.core.urls import UrlError, validate_redirect_url

ACCEPTED = [
    "https://app.example.com/connect",
    "https://app.example.com:8443/done?state=abc#frag",
    "HTTPS://APP.EXAMPLE.COM/x",
    "http://localhost:3000/callback",
    "http://127.0.0.1/callback",
    "myapp://nova/flatpeak/complete",
    "com.example.app://callback",
    "https://xn--bcher-kva.example/",
]
REJECTED = [
    "javascript:alert(1)",
    "JavaScript://%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "about:blank",
    "http://example.com/callback",
    "http://localhost.evil.com/",
    "https://user:pass@example.com/",
    "https://example.com@evil.com/",
    "https:///no-host",
    "https:no-slashes.example",
    "https://exa mple.com/",
    "https://example.com/\n",
    "https://example.com/\t",
    "https://example.com/\x00",
    "https://example.com:99999/",
    "https:\\\\evil.com",
    "//example.com/no-scheme",
    "/relative/path",
    "myapp:no-slashes",
    "myapp://",
    "",
    "https://example.com/" + "a" * 2048,
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted(url):
    assert validate_redirect_url(url) == url


@pytest.mark.parametrize("url", REJECTED)
def test_rejected(url):
    with pytest.raises(UrlError):
        validate_redirect_url(url)


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){1,3}", fullmatch=True)
paths = st.text(alphabet=string.ascii_letters + string.digits + "/-_.~%?=&#", max_size=60)


@given(host=hosts, path=paths)
def test_any_https_url_with_a_plain_host_is_accepted(host, path):
    url = f"https://{host}/{path}"
    assert validate_redirect_url(url) == url


@given(host=hosts, path=paths)
def test_plain_http_to_a_real_host_is_always_refused(host, path):
    if host in ("localhost", "127.0.0.1"):
        return
    with pytest.raises(UrlError):
        validate_redirect_url(f"http://{host}/{path}")


@given(url=st.text(max_size=80), bad=st.sampled_from(" \t\r\n\x00\x1f\x7f\u2028\u00a0"))
def test_whitespace_or_control_characters_anywhere_are_refused(url, bad):
    position = len(url) // 2
    with pytest.raises(UrlError):
        validate_redirect_url("https://example.com/" + url[:position] + bad + url[position:])


@given(
    scheme=st.sampled_from(["javascript", "data", "file", "vbscript", "JAVASCRIPT", "Data"]),
    rest=st.text(max_size=40),
)
def test_dangerous_schemes_are_refused_whatever_follows(scheme, rest):
    with pytest.raises(UrlError):
        validate_redirect_url(f"{scheme}:{rest}")


@given(user=st.text(alphabet=string.ascii_letters, min_size=1, max_size=10), host=hosts)
def test_user_info_is_refused(user, host):
    with pytest.raises(UrlError):
        validate_redirect_url(f"https://{user}@{host}/")


@given(url=st.text(max_size=100))
def test_anything_accepted_is_https_localhost_http_or_an_app_link(url):
    try:
        validate_redirect_url(url)
    except UrlError:
        return
    scheme = url.split(":", 1)[0].lower()
    assert scheme not in {"javascript", "data", "file", "vbscript"}
    assert "@" not in url and not any(ch.isspace() for ch in url)
    if scheme == "http":
        assert url.lower().startswith(("http://localhost", "http://127.0.0.1"))
