"""Delivering one webhook POST to a customer's endpoint, safely.

Threat model: the URL is chosen by an API caller, so every delivery is a request from inside
our network to a place an attacker may pick (SSRF). In both modes (a test key is no harder to
get than any other) we therefore:

- resolve the host ourselves and refuse (without connecting) when ANY resolved address is
  private, loopback, link-local (incl. cloud metadata 169.254.169.254), unique-local,
  unspecified, multicast or reserved, also when wrapped in IPv6 (IPv4-mapped, NAT64, 6to4),
  unless the operator allowed its network (`allow`, from
  TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS; see `urls.parse_allowed_networks`);
- connect to the checked IP itself, so a second DNS answer (DNS rebinding: public at check
  time, 127.0.0.1 at connect time) cannot change where we go. The request keeps
  `Host: <original host>`, and TLS uses the hostname for SNI *and* certificate verification
  (httpx's `sni_hostname` extension becomes httpcore's `server_hostname`, which the ssl module
  both sends and checks the certificate against);
- ignore proxy environment variables (`trust_env=False`), which would defeat the pinning;
- report what went wrong as a coarse category (ERRORS), never the transport's own text: the
  deliveries API shows it to the account, and "connection refused" against "timed out" would
  tell an open port of our network from a closed one.

We never follow redirects (a 3xx is only a non-2xx status: a redirect to
http://169.254.169.254/ must not be fetched), give up after `timeout` seconds in total
(resolve + connect + send + read) and read at most 64 KiB of the answer, undecoded. Network
problems never raise: they come back as `DeliveryResult(status=None, error=...)`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tariffconnect.core.outbound import is_tls_error, literal_address, ssl_context
from tariffconnect.webhooks.urls import IPAddress, IPNetwork, is_forbidden_address

USER_AGENT = "TariffConnect-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024
# What `DeliveryResult.error` can say.
NOT_ALLOWED = "destination_not_allowed"  # refused before connecting: a forbidden address
CONNECTION_FAILED = "connection_failed"  # no answer: unresolvable, refused, reset, bad URL
TIMEOUT = "timeout"
TLS_ERROR = "tls_error"  # the TLS handshake or the certificate failed
HTTP_STATUS = "http_status"  # an answer, not 2xx: `status` says which
ERRORS = (NOT_ALLOWED, CONNECTION_FAILED, TIMEOUT, TLS_ERROR, HTTP_STATUS)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DROPPED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class DeliveryResult:
    """What happened: the HTTP status (None when no answer) and why there was none."""

    status: int | None
    latency_ms: int
    error: str | None


class _Refused(Exception):
    pass


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in resolver order (a seam for tests)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def deliver(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow: Sequence[IPNetwork] = (),
    timeout: float = 10.0,
) -> DeliveryResult:
    """POST `body` to `url` once; report the status, or what kind of problem there was."""
    started = time.perf_counter()

    def result(status: int | None, error: str | None) -> DeliveryResult:
        return DeliveryResult(status, int((time.perf_counter() - started) * 1000), error)

    try:
        async with asyncio.timeout(timeout):
            status = await _post(url, body, headers, allow, timeout)
    except _Refused:
        return result(None, NOT_ALLOWED)
    except (TimeoutError, httpx.TimeoutException):
        return result(None, TIMEOUT)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return result(None, TLS_ERROR if is_tls_error(exc) else CONNECTION_FAILED)
    return result(status, None if 200 <= status < 300 else HTTP_STATUS)


async def _post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow: Sequence[IPNetwork],
    timeout: float,
) -> int:
    target = httpx.URL(url)
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise ValueError("not an absolute http(s) URL")
    request_headers = {"Content-Type": "application/json"}
    request_headers.update(
        (name, value) for name, value in headers.items() if name.lower() not in _DROPPED_HEADERS
    )
    request_headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    extensions: dict[str, Any] = {}
    host = target.raw_host.decode("ascii")
    addresses = literal_address(host) or await resolve(
        host, target.port or _DEFAULT_PORTS[target.scheme]
    )
    if not addresses or any(is_forbidden_address(a, allow) for a in addresses):
        raise _Refused
    request_headers["Host"] = target.netloc.decode("ascii")
    extensions["sni_hostname"] = host
    targets = [target.copy_with(host=str(address)) for address in addresses]
    for index, attempt in enumerate(targets):
        client = _client_for(attempt, extensions.get("sni_hostname"), timeout)
        try:
            return await _send(client, attempt, body, request_headers, extensions)
        except httpx.ConnectError:
            # Nothing was sent yet, so trying the host's next address cannot duplicate.
            if index == len(targets) - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# Kept-alive clients, one per event loop and destination: (scheme, checked address or host,
# port, TLS name). Keying by the TLS name too means a connection verified for one host name
# never carries a request for another name that resolves to the same address.
ClientKey = tuple[str, str, int, str | None, float]
_LOOP_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, OrderedDict[ClientKey, httpx.AsyncClient]
] = weakref.WeakKeyDictionary()
_MAX_CLIENTS = 256


def _clients() -> OrderedDict[ClientKey, httpx.AsyncClient]:
    loop = asyncio.get_running_loop()
    found = _LOOP_CLIENTS.get(loop)
    if found is None:
        found = _LOOP_CLIENTS[loop] = OrderedDict()
    return found


def _client_for(target: httpx.URL, sni_hostname: str | None, timeout: float) -> httpx.AsyncClient:
    key = (target.scheme, target.host, target.port or 0, sni_hostname, timeout)
    clients = _clients()
    client = clients.get(key)
    if client is None:
        client = httpx.AsyncClient(
            verify=ssl_context(),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
        )
        clients[key] = client
        if len(clients) > _MAX_CLIENTS:
            # Dropped, not closed: a send may still be using it; its connections close with it.
            clients.popitem(last=False)
    else:
        clients.move_to_end(key)
    return client


async def close_clients() -> None:
    """Close this event loop's kept-alive connections (when a worker stops)."""
    clients = _clients()
    while clients:
        _, client = clients.popitem()
        await client.aclose()


async def _send(
    client: httpx.AsyncClient,
    target: httpx.URL,
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, Any],
) -> int:
    request = client.build_request(
        "POST", target, content=body, headers=headers, extensions=extensions
    )
    response = await client.send(request, stream=True)
    try:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= MAX_RESPONSE_BYTES:
                break
    finally:
        await response.aclose()
    return response.status_code
