"""Pulling a tariff from an auth module: `POST {module}/api/tariff_plan` with the customer's
credentials, under the webhook rules against server-side request forgery.

The module's URL is the operator's, but its host name may resolve anywhere, and the request
carries credentials: so, as `webhooks.transport` does, we resolve the host ourselves, refuse a
private address the operator did not allow, and connect to the checked address (keeping the
host name for `Host`, SNI and the certificate); proxies from the environment are ignored, no
redirect is followed, at most 1 MiB is read, and the whole exchange has one time-out. Plain
http is refused in live mode (test mode may reach a module beside us). Failures raise
`PullFailed` with a reason for the operator, never the credentials. Connections are kept
alive per (origin, checked address), so a refresh pass does not connect for every pull.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from tariffconnect.core.outbound import IPAddress, is_tls_error, resolve_addresses, ssl_context
from tariffconnect.integrations.sdk_tariff import PullFailed
from tariffconnect.webhooks.urls import IPNetwork, is_forbidden_address

PATH = "/api/tariff_plan"
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_MESSAGE_LENGTH = 200
USER_AGENT = "TariffConnect-Modules/1"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NOT_JSON = object()


def fetch_tariff_plan(
    url: str,
    *,
    credentials: dict[str, str],
    reference_id: str | None,
    live_mode: bool,
    allow: Sequence[IPNetwork] = (),
    timeout: float,
) -> Any:
    """The module's JSON answer for these credentials; PullFailed naming what went wrong."""
    deadline = time.monotonic() + timeout
    try:
        target = httpx.URL(url.rstrip("/") + PATH)
    except httpx.InvalidURL:
        raise PullFailed("the module's URL is not valid") from None
    if target.scheme not in _DEFAULT_PORTS or not target.host:
        raise PullFailed("the module's URL is not an absolute http(s) URL")
    if target.scheme == "http" and live_mode:
        raise PullFailed("the module must use https in live mode")
    addresses = _addresses(target.host, target.port or _DEFAULT_PORTS[target.scheme])
    if not addresses or any(is_forbidden_address(a, allow) for a in addresses):
        raise PullFailed("the module's address is not allowed (a private network)")
    body = json.dumps({"auth_metadata": {"data": credentials, "reference_id": reference_id}})
    try:
        status, content, kind = _post(target, addresses, body.encode(), deadline)
    except PullFailed:
        raise
    except httpx.TimeoutException:
        raise PullFailed(_late(timeout)) from None
    except (httpx.HTTPError, OSError) as exc:
        if is_tls_error(exc):
            raise PullFailed("the TLS handshake with the module failed") from None
        raise PullFailed("the module could not be reached") from None
    return _answer(status, content, kind, credentials)


def _late(timeout: float) -> str:
    return f"the module did not answer within {timeout:g} s"


def _addresses(host: str, port: int) -> list[IPAddress]:
    """The host's addresses, in resolver order."""
    try:
        return resolve_addresses(host, port)
    except (OSError, UnicodeError):
        raise PullFailed("the module's host name does not resolve") from None


_clients: dict[tuple[str, str, int, str], httpx.Client] = {}
_clients_lock = threading.Lock()
MAX_POOLED_CONNECTIONS = 16  # per module origin and address: the refresh runs 8 pulls at once


def _client(target: httpx.URL, address: IPAddress) -> httpx.Client:
    """The kept-alive client for this origin at this checked address, made once.

    Keyed by the pinned address too, so a host name that resolves elsewhere later gets a new
    client: a pooled connection only ever goes to an address that passed the check."""
    key = (target.scheme, target.host, target.port or _DEFAULT_PORTS[target.scheme], str(address))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = httpx.Client(
                verify=ssl_context(),
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(
                    max_connections=MAX_POOLED_CONNECTIONS,
                    max_keepalive_connections=MAX_POOLED_CONNECTIONS,
                ),
            )
            _clients[key] = client
        return client


def close_clients() -> None:
    """Close every pooled client (tests, and a process shutting down)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def _post(
    target: httpx.URL, addresses: list[IPAddress], body: bytes, deadline: float
) -> tuple[int, bytes, str]:
    """POST to the first address that connects; (status, body read, content type)."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Host": target.netloc.decode("ascii"),
    }
    extensions = {"sni_hostname": target.host}
    for index, address in enumerate(addresses):
        remaining = max(deadline - time.monotonic(), 0.001)  # what is left, per phase
        client = _client(target, address)
        request = client.build_request(
            "POST",
            target.copy_with(host=str(address)),
            content=body,
            headers=headers,
            extensions=extensions,
            timeout=httpx.Timeout(remaining),
        )
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError:
            # Nothing was sent yet, so the host's next address cannot duplicate it.
            if index == len(addresses) - 1:
                raise
            continue
        try:
            content = _read(response, deadline)
        finally:
            response.close()
        return response.status_code, content, response.headers.get("content-type", "")
    raise AssertionError("unreachable")  # pragma: no cover


def _read(response: httpx.Response, deadline: float) -> bytes:
    """The body, at most MAX_RESPONSE_BYTES, within the deadline: a trickle cannot stretch it.

    httpx's read time-out is per read, so a watchdog shuts the socket down at the deadline:
    a read blocked then returns at once, and its error is reported as the time-out."""
    chunks: list[bytes] = []
    read = 0
    watchdog = _watchdog(response, deadline)
    try:
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > MAX_RESPONSE_BYTES:
                raise PullFailed("the module's answer is over 1 MiB")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the deadline passed")
            chunks.append(chunk)
    except httpx.TransportError:
        if time.monotonic() >= deadline:
            raise httpx.ReadTimeout("the deadline passed") from None
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
    return b"".join(chunks)


def _watchdog(response: httpx.Response, deadline: float) -> threading.Timer | None:
    """A timer that shuts the response's socket down at the deadline (None without one)."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket):
        return None
    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), _shut, (sock,))
    timer.daemon = True
    timer.start()
    return timer


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already: the read is over
        sock.shutdown(socket.SHUT_RDWR)


def _answer(status: int, content: bytes, kind: str, credentials: dict[str, str]) -> Any:
    """The parsed JSON of a 2xx answer; PullFailed for anything else."""
    try:
        parsed: Any = json.loads(content)
    except ValueError:
        parsed = _NOT_JSON
    if not 200 <= status < 300:
        message = _message(parsed, credentials)
        raise PullFailed(f"the module answered HTTP {status}" + (f": {message}" if message else ""))
    looks_html = "html" in kind.lower() or content.lstrip()[:1] == b"<"
    if parsed is _NOT_JSON and looks_html:
        raise PullFailed("the module answered HTML, not JSON")
    if parsed is _NOT_JSON:
        raise PullFailed("the module's answer is not valid JSON")
    return parsed


def _message(parsed: Any, credentials: dict[str, str]) -> str:
    """The error's `message`, short and printable, dropped if it repeats a credential."""
    if not isinstance(parsed, dict) or not isinstance(parsed.get("message"), str):
        return ""
    message = "".join(ch for ch in parsed["message"] if ch.isprintable())[:MAX_MESSAGE_LENGTH]
    if any(value and value in message for value in credentials.values()):
        return ""
    return message
