"""validate_endpoint_url: what a webhook endpoint may point at, per mode."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.core.errors import ApiError
from tariffconnect.webhooks.urls import (
    is_forbidden_address,
    parse_allowed_networks,
    validate_endpoint_url,
)


def refused(url: str, *, live_mode: bool, allow=()) -> str:
    with pytest.raises(ApiError) as caught:
        validate_endpoint_url(url, live_mode=live_mode, allow=allow)
    assert (caught.value.status, caught.value.code) == (400, "url_invalid")
    assert caught.value.message.startswith("url ")
    return caught.value.message


@pytest.mark.parametrize("live_mode", [True, False])
@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks",
        "https://EXAMPLE.com:8443/a/b?x=1&y=2",
        "https://hooks.example.co.uk",
        "https://bücher.de/hook",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_public_https_urls_are_accepted_in_both_modes(url, live_mode):
    assert validate_endpoint_url(url, live_mode=live_mode) == url


LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:3000/hook",
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
        "https://localhost/hook",
    ],
)
def test_local_development_urls_need_the_operators_leave_and_test_mode(url):
    assert validate_endpoint_url(url, live_mode=False, allow=LOOPBACK) == url
    refused(url, live_mode=False)
    refused(url, live_mode=True, allow=LOOPBACK)


def test_a_private_network_the_operator_allows_is_accepted():
    allow = parse_allowed_networks("10.1.0.0/16")
    for live_mode in (False, True):
        url = "https://10.1.2.3/hook"
        assert validate_endpoint_url(url, live_mode=live_mode, allow=allow) == url
        refused("https://10.2.0.1/hook", live_mode=live_mode, allow=allow)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/x", "absolute http or https"),
        ("/relative/path", "absolute http or https"),
        ("example.com/hook", "absolute http or https"),
        ("https:example.com", "absolute http or https"),
        ("javascript://example.com/%0aalert(1)", "absolute http or https"),
        ("https://", "must name a host"),
        ("https:///path", "must name a host"),
        ("https://user:pw@example.com/", "user info"),
        ("https://example.com@169.254.169.254/", "user info"),
        ("https://example.com/hook#frag", "fragment"),
        ("https://example.com/ hook", "whitespace or control"),
        ("https://example.com/\x00", "whitespace or control"),
        ("https://example.com/\r\nX-Injected: 1", "whitespace or control"),
        ("https://example.com\\@evil.com/", "backslashes"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com:0/", "port 0"),
        ("https://exa mple.com/", "whitespace"),
        ("https://exa$mple.com/", "invalid host name"),
        ("https://2130706433/", "canonical IP"),
        ("https://127.1/", "canonical IP"),
        ("https://0x7f.0.0.1/", "canonical IP"),
        ("https://[::1/", "not a valid URL"),
        ("https://" + "a" * 2048 + ".com/", "at most 2048"),
    ],
)
def test_malformed_urls_are_refused_in_both_modes(url, why):
    for live_mode in (True, False):
        assert why in refused(url, live_mode=live_mode)


def test_http_is_refused_in_live_mode_and_for_remote_hosts_in_test_mode():
    assert "must use https" in refused("http://example.com/hook", live_mode=True)
    assert "must use https" in refused("http://localhost/hook", live_mode=True)
    assert "only for localhost" in refused("http://example.com/hook", live_mode=False)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "[::ffff:127.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",
        "[2002:7f00:1::]",
    ],
)
@pytest.mark.parametrize("live_mode", [False, True])
def test_forbidden_ip_literals_are_refused_in_both_modes(host, live_mode):
    why = refused(f"https://{host}/hook", live_mode=live_mode)
    assert "private, loopback or link-local" in why


def test_allow_list_exempts_an_address():
    address = ipaddress.ip_address("10.1.2.3")
    assert is_forbidden_address(address)
    assert not is_forbidden_address(address, [ipaddress.ip_network("10.1.0.0/16")])
    mapped = ipaddress.ip_address("::ffff:127.0.0.1")
    assert not is_forbidden_address(mapped, [ipaddress.ip_network("127.0.0.1/32")])
    assert not is_forbidden_address(ipaddress.ip_address("93.184.216.34"))


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_TLD = st.from_regex(r"[a-z]{2,10}", fullmatch=True).filter(lambda tld: tld != "localhost")
_HOSTNAME = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, min_size=1, max_size=4), _TLD
)
_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~%", max_size=12)
_PATH = st.lists(_SEGMENT, max_size=5).map(lambda parts: "/" + "/".join(parts))
_PORT = st.one_of(st.just(""), st.integers(1, 65535).map(lambda port: f":{port}"))


@given(host=_HOSTNAME, port=_PORT, path=_PATH)
def test_random_https_hostnames_are_accepted_and_http_refused_in_live_mode(host, port, path):
    https = f"https://{host}{port}{path}"
    assert validate_endpoint_url(https, live_mode=True) == https
    assert validate_endpoint_url(https, live_mode=False) == https
    http = f"http://{host}{port}{path}"
    with pytest.raises(ApiError) as caught:
        validate_endpoint_url(http, live_mode=True)
    assert caught.value.code == "url_invalid"
