"""Validation of webhook endpoint URLs when an endpoint is created or updated.

Threat model: a webhook URL is a request *our server* makes on the caller's behalf, so a
hostile URL is a server-side request forgery (SSRF) attempt: reach the cloud metadata service
(169.254.169.254), the database, or anything else on our private network. Defence has two
layers. Here, at creation time, we refuse what is visibly wrong (not absolute http(s), user
info, fragments, control characters, odd numeric hosts such as `2130706433` that resolvers
turn into 127.0.0.1) and, in live mode, plain http and IP literals in forbidden ranges.
Hostnames can resolve anywhere and change at any time (DNS rebinding), so
`webhooks.transport.deliver` checks the *resolved* addresses again before every delivery.

The address rules hold in both modes: a test key is as easy to get as any other, and a test
endpoint's deliveries come from the same server. Apps that develop against their own machine
need the operator's leave: TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS (`allow`) naming loopback,
e.g. `127.0.0.0/8,::1/128`. With that, test mode also takes plain http to localhost, 127.0.0.1
and [::1]; live mode is https only.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from tariffconnect.core.errors import ApiError, invalid

MAX_LENGTH = 2048
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named explicitly (rather than trusting `is_global` alone, whose table has changed between
# Python patch releases) so a reader can see what is refused.
FORBIDDEN_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast
        "::/128",
        "::1/128",
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
# Addresses that can carry an IPv4 address inside an IPv6 one.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_HOST_CHARS = re.compile(r"[a-z0-9._-]+")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address, if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_forbidden_address(address: IPAddress, allow: Sequence[IPNetwork] = ()) -> bool:
    """True when our server must not connect to `address` (private, loopback, link-local...).

    An address inside one of the operator's `allow` networks is permitted.
    """
    candidates = [address]
    inner = embedded_ipv4(address)
    if inner is not None:
        candidates.append(inner)
    if any(a in net for a in candidates for net in allow if a.version == net.version):
        return False
    for a in candidates:
        a = ipaddress.ip_address(str(a).split("%", 1)[0])  # drop an IPv6 zone id
        if any(a in net for net in FORBIDDEN_NETWORKS if a.version == net.version):
            return True
        if a.is_private or a.is_reserved or a.is_multicast or not a.is_global:
            return True
    return False


@functools.lru_cache(maxsize=8)  # pulls and adapters ask for the same setting on every call
def parse_allowed_networks(value: str) -> tuple[IPNetwork, ...]:
    """Parse a comma-separated CIDR list (e.g. "10.1.0.0/16, fd00::/8"); ValueError if bad."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in value.split(",")
        if part.strip()
    )


def _refuse(why: str) -> ApiError:
    return invalid("url_invalid", f"url {why}")


def validate_endpoint_url(url: str, *, live_mode: bool, allow: Sequence[IPNetwork] = ()) -> str:
    """Return `url` if it may be a webhook endpoint, else raise ApiError 400 `url_invalid`.
    `allow`: the networks the operator lets webhooks reach although they are private."""
    if len(url) > MAX_LENGTH:
        raise _refuse(f"must be at most {MAX_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in url):
        raise _refuse("must not contain whitespace or control characters.")
    if "\\" in url:
        raise _refuse("must not contain backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise _refuse("is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        raise _refuse("must be an absolute http or https URL.")
    if "@" in parts.netloc:
        raise _refuse("must not contain user info.")
    if "#" in url:
        raise _refuse("must not contain a fragment.")
    host = (parts.hostname or "").lower()
    if not host:
        raise _refuse("must name a host.")
    if port == 0:
        raise _refuse("must not use port 0.")
    address = _ip_literal(host)
    if scheme == "http" and (live_mode or host not in LOCAL_HOSTS):
        raise _refuse(
            "must use https."
            if live_mode
            else "must use https (http is allowed only for localhost in test mode)."
        )
    if address is not None and is_forbidden_address(address, allow):
        raise _refuse("must not point at a private, loopback or link-local address.")
    named = host.rstrip(".")
    if (named == "localhost" or named.endswith(".localhost")) and (
        live_mode or is_forbidden_address(_LOOPBACK, allow)
    ):
        raise _refuse("must not point at localhost.")
    return url


def _ip_literal(host: str) -> IPAddress | None:
    """The address when `host` is an IP literal; refuses numeric hosts that are not canonical."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        raise _refuse("has an invalid IPv6 address.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refuse("has an invalid host name.") from None
    if not _HOST_CHARS.fullmatch(ascii_host) or ".." in ascii_host or ascii_host[0] == ".":
        raise _refuse("has an invalid host name.")
    # `127.1`, `0x7f.1` or `2130706433` are IPv4 addresses to a resolver: refuse them.
    if _NUMERIC_LABEL.fullmatch(ascii_host.rstrip(".").rsplit(".", 1)[-1]):
        raise _refuse("must use a host name or a canonical IP address.")
    return None
