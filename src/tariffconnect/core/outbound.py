"""What every request our server makes to a URL someone else chose shares (webhooks, auth
modules): the verifying TLS context, IP literals, and telling a TLS failure from others."""

from __future__ import annotations

import ipaddress
import socket
import ssl

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ssl_context: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """The verifying TLS context (certifi roots), built once and shared."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


def literal_address(host: str) -> list[IPAddress]:
    """[the address] when `host` is an IP literal (no resolver needed), else []."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return []


def is_tls_error(exc: BaseException | None) -> bool:
    """True when an ssl error is in the exception's chain (httpx wraps it in a ConnectError)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, ssl.SSLError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def resolve_addresses(host: str, port: int) -> list[IPAddress]:
    """The host's addresses, in resolver order (an IP literal is its own); OSError or
    UnicodeError when the name does not resolve."""
    found = literal_address(host.strip("[]"))
    if found:
        return found
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    for *_, sockaddr in infos:
        for address in literal_address(str(sockaddr[0]).split("%", 1)[0]):
            if address not in found:
                found.append(address)
    return found
