"""The Octopus Energy REST API (`TARIFFCONNECT_OCTOPUS_API_URL`, default
https://api.octopus.energy): a customer's account with their API key, and the public products
with their regional tariffs, unit rates and standing charges.

How it calls out, and why:
- HTTP Basic with the API key as the user name and an empty password, as the developer docs
  say; the key lives only in the Authorization header: never in a URL, log line, message or
  repr, and an error from httpx (which carries the request) is never passed on.
- The URL is the operator's, so it follows the webhook rules against request forgery, as auth
  modules do: the host is resolved here, a private address needs the operator's leave
  (`TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS`), the request goes to the checked address (the host
  name kept for Host, SNI and the certificate), no proxy from the environment, no redirects;
  plain http only outside live mode and only to a loopback or private address inside a
  network the operator allowed (the tests' fixture server, a proxy beside us): a public host,
  the real Octopus API included, is reached over https whatever the allow-list says.
- Every call has a time-out; 429 and 5xx (and a dropped connection) are retried a bounded
  number of times with doubling backoff (0.5, 1, 2 s), a 429's Retry-After honoured instead
  of that attempt's backoff. The waits of one request add up to at most MAX_WAIT_SECONDS: a
  wait that would pass it is not waited for (the request fails as unavailable and the caller
  tries again later), so a throttling answer never stalls a sync or a pull for minutes.
- Lists are followed through `next` while it stays on the API, at most MAX_PAGES pages and
  never the same page twice: a `next` loop is an error, not an endless refresh.
- Answers are parsed with Decimal numbers (rates are published to 4-5 decimals) and checked
  for shape (answers.py) before anyone uses them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import httpx

from tariffconnect.core.outbound import IPAddress, is_tls_error, resolve_addresses, ssl_context
from tariffconnect.integrations.octopus import answers
from tariffconnect.integrations.octopus.answers import (
    Account,
    Json,
    Product,
    ProductDetail,
    Rate,
)
from tariffconnect.integrations.octopus.codes import (
    check_account_number,
    check_api_key,
    check_product_code,
    parse_tariff_code,
)
from tariffconnect.integrations.octopus.errors import (
    OctopusAddressRefused,
    OctopusAnswerInvalid,
    OctopusError,
    OctopusKeyRejected,
    OctopusNotFound,
    OctopusRefused,
    OctopusUnavailable,
)
from tariffconnect.market.feeds.http import retry_after
from tariffconnect.webhooks.urls import IPNetwork, is_forbidden_address

log = logging.getLogger(__name__)

RETRIES = 3  # attempts after the first
BACKOFF_SECONDS = 0.5  # doubled after each retry
MAX_WAIT_SECONDS = 30.0  # all the waits of one request; a longer one is not waited for
MAX_PAGES = 200  # products and a year of rates fit easily; more is a runaway `next` chain
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
RATES_PAGE_SIZE = "1500"  # the API's largest page: a month of half hours in one answer
USER_AGENT = "TariffConnect-Octopus/1"
_DEFAULT_PORTS = {"http": 80, "https": 443}

RateKind = Literal["standard-unit-rates", "day-unit-rates", "night-unit-rates", "standing-charges"]
RATE_KINDS: tuple[RateKind, ...] = (
    "standard-unit-rates",
    "day-unit-rates",
    "night-unit-rates",
    "standing-charges",
)
Sleep = Callable[[float], None]


class OctopusClient:
    """One caller's view of the API: with an API key for accounts, without for products.

    Use as a context manager (or call close()): it keeps its connections alive between calls,
    so a library sync of hundreds of requests connects once."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        live_mode: bool,
        api_key: str | None = None,
        allow: Sequence[IPNetwork] = (),
        sleep: Sleep = time.sleep,
    ) -> None:
        # The key's shape is checked before anything else, so a typo never reaches Octopus.
        self._auth = httpx.BasicAuth(check_api_key(api_key), "") if api_key is not None else None
        self._base = _base_url(base_url, live_mode=live_mode)
        self._timeout = timeout
        self._allow = tuple(allow)
        self._sleep = sleep
        self._addresses: list[IPAddress] | None = None
        self._http = httpx.Client(
            verify=ssl_context(),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
        )

    def __repr__(self) -> str:  # never the key
        return f"OctopusClient({str(self._base)!r}, key={'set' if self._auth else 'none'})"

    def __enter__(self) -> OctopusClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- endpoints ---------------------------------------------------------------------

    def account(self, account_number: str) -> Account:
        """`GET /v1/accounts/{account_number}/`: properties, meter points, agreements."""
        number = check_account_number(account_number)
        if self._auth is None:
            raise OctopusKeyRejected("an API key is needed to read an account")
        return answers.account(self._get_json(f"/v1/accounts/{number}/", None))

    def products(self, **filters: bool | str | datetime) -> list[Product]:
        """`GET /v1/products/`, every page; filters as the docs name them (`is_business=False`,
        `brand="OCTOPUS_ENERGY"`, `available_at=<datetime>`, ...)."""
        params = {key: _param(value) for key, value in filters.items()}
        return [answers.product(row) for row in self._results("/v1/products/", params)]

    def product(
        self, product_code: str, *, tariffs_active_at: datetime | None = None
    ) -> ProductDetail:
        """`GET /v1/products/{product_code}/`: the product's tariffs per region."""
        code = check_product_code(product_code)
        params = {"tariffs_active_at": _iso(tariffs_active_at)} if tariffs_active_at else None
        return answers.product_detail(self._get_json(f"/v1/products/{code}/", params))

    def rates(
        self,
        tariff_code: str,
        kind: RateKind,
        *,
        period_from: datetime | None = None,
        period_to: datetime | None = None,
    ) -> list[Rate]:
        """`GET /v1/products/{p}/electricity-tariffs/{t}/{kind}/`, every page, newest first
        as the API answers; the product code comes from the tariff code."""
        parsed = parse_tariff_code(tariff_code)
        if kind not in RATE_KINDS:
            raise ValueError(f"unknown rate kind {kind!r}")
        params = {"page_size": RATES_PAGE_SIZE}
        if period_from is not None:
            params["period_from"] = _iso(period_from)
        if period_to is not None:
            params["period_to"] = _iso(period_to)
        path = f"/v1/products/{parsed.product_code}/electricity-tariffs/{parsed.code}/{kind}/"
        return [answers.rate(row) for row in self._results(path, params)]

    # --- transport ---------------------------------------------------------------------

    def _results(self, path: str, params: Mapping[str, str]) -> Iterator[Json]:
        """Every row of a paginated list, following `next` while it stays on the API."""
        url: httpx.URL | None = self._base.join(path.lstrip("/")).copy_merge_params(dict(params))
        seen: set[str] = set()
        while url is not None:
            if len(seen) >= MAX_PAGES:
                raise OctopusAnswerInvalid(f"the Octopus list {path} is over {MAX_PAGES} pages")
            seen.add(str(url))
            page = _object(self._request(url))
            rows = page.get("results")
            if not isinstance(rows, list):
                raise OctopusAnswerInvalid(f"the Octopus list {path} has no results")
            yield from rows
            url = self._next(page.get("next"), path, seen)

    def _next(self, value: Any, path: str, seen: set[str]) -> httpx.URL | None:
        if value is None:
            return None
        try:
            url = httpx.URL(value) if isinstance(value, str) else None
        except httpx.InvalidURL:
            url = None
        if url is None or (url.scheme, url.host, url.port) != (
            self._base.scheme,
            self._base.host,
            self._base.port,
        ):
            raise OctopusAnswerInvalid(f"the next page of {path} is not on the Octopus API")
        if str(url) in seen:
            raise OctopusAnswerInvalid(f"the next page of {path} loops back")
        return url

    def _get_json(self, path: str, params: Mapping[str, str] | None) -> Any:
        url = self._base.join(path.lstrip("/"))
        return self._request(url.copy_merge_params(dict(params)) if params else url)

    def _request(self, url: httpx.URL) -> Any:
        """GET `url` with retries; the parsed JSON of a 2xx answer, else the error's type."""
        addresses = self._checked_addresses()
        backoff = BACKOFF_SECONDS
        waited = 0.0
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            wait = backoff
            try:
                status, headers, content = self._send(url, addresses)
            except OctopusError:
                raise
            except httpx.TimeoutException:
                problem = f"Octopus did not answer within {self._timeout:g} s"
            except (httpx.HTTPError, OSError) as exc:
                problem = (
                    "the TLS handshake with Octopus failed"
                    if is_tls_error(exc)
                    else "Octopus could not be reached"
                )
            else:
                log.debug("octopus GET %s -> %s", url.path, status)
                if 200 <= status < 300:
                    return _parse(content, headers, url.path)
                if status == 401:
                    raise OctopusKeyRejected(
                        "Octopus refused the API key (wrong, or replaced on the dashboard)"
                    )
                if status == 404:
                    raise OctopusNotFound(f"Octopus has no {_what(url.path)}")
                if status != 429 and status < 500:
                    raise OctopusRefused(f"Octopus answered HTTP {status}", status=status)
                problem = f"Octopus answered HTTP {status}"
                if status == 429:
                    # Its own wait, not the backoff's: it does not feed the doubling.
                    wait = retry_after(headers.get("retry-after"), default=backoff)
                    if waited + wait > MAX_WAIT_SECONDS:
                        raise OctopusUnavailable(f"Octopus asks to wait {wait:.0f} s (429)")
            if last or waited + wait > MAX_WAIT_SECONDS:
                raise OctopusUnavailable(f"{problem}, {attempt + 1} tries")
            log.info("octopus GET %s: %s; retrying in %.1f s", url.path, problem, wait)
            self._sleep(wait)
            waited += wait
            backoff *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, url: httpx.URL, addresses: Sequence[IPAddress]
    ) -> tuple[int, httpx.Headers, bytes]:
        """One GET to the first of the checked `addresses` that connects."""
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Host": url.netloc.decode("ascii"),
        }
        for index, address in enumerate(addresses):
            request = self._http.build_request(
                "GET",
                url.copy_with(host=str(address)),
                headers=headers,
                extensions={"sni_hostname": url.host},
            )
            try:
                response = self._http.send(request, auth=self._auth, stream=True)
            except httpx.ConnectError:
                if index == len(addresses) - 1:  # nothing was sent: the next address is safe
                    raise
                continue
            try:
                return response.status_code, response.headers, _read(response)
            finally:
                response.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _checked_addresses(self) -> list[IPAddress]:
        """The API host's addresses, resolved once and checked against the SSRF rules."""
        if self._addresses is None:
            host = self._base.host
            port = self._base.port or _DEFAULT_PORTS[self._base.scheme]
            found = _resolve(host, port)
            if not found or any(is_forbidden_address(a, self._allow) for a in found):
                raise OctopusAddressRefused(
                    "the Octopus API URL is on a private network the operator did not allow"
                )
            if self._base.scheme == "http" and not all(self._plain_http_allowed(a) for a in found):
                # Plain http is for a fixture or proxy beside us, never a public host: the
                # operator's allow-list lets us reach private networks, it does not make a
                # public address safe to talk to in the clear.
                raise OctopusAddressRefused(
                    "plain http to the Octopus API only to a private address the operator allowed"
                )
            self._addresses = found
        return self._addresses

    def _plain_http_allowed(self, address: IPAddress) -> bool:
        """A loopback or private address inside a network the operator allowed."""
        allowed = any(address in net for net in self._allow if address.version == net.version)
        return allowed and is_forbidden_address(address)  # forbidden without the leave: local


def _base_url(value: str, *, live_mode: bool) -> httpx.URL:
    try:
        url = httpx.URL(value.rstrip("/") + "/")
    except httpx.InvalidURL:
        raise OctopusAddressRefused("the Octopus API URL is not valid") from None
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise OctopusAddressRefused("the Octopus API URL is not an absolute http(s) URL")
    if url.scheme == "http" and live_mode:
        raise OctopusAddressRefused("the Octopus API must be reached over https in live mode")
    return url


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return resolve_addresses(host, port)
    except (OSError, UnicodeError):
        raise OctopusUnavailable("the Octopus API host name does not resolve") from None


def _read(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise OctopusAnswerInvalid("the Octopus answer is over 16 MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(content: bytes, headers: httpx.Headers, path: str) -> Any:
    if "json" not in headers.get("content-type", "").lower():
        raise OctopusAnswerInvalid(f"Octopus did not answer JSON for {_what(path)}")
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:
        raise OctopusAnswerInvalid(f"the Octopus answer for {_what(path)} is not JSON") from None


def _object(value: Any) -> Json:
    if not isinstance(value, dict):
        raise OctopusAnswerInvalid("the Octopus answer is not an object")
    return value


def _what(path: str) -> str:
    """A name for what was asked, for messages: the account number is not a secret."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[1] == "accounts":
        return f"account {parts[2]} for this key"
    if len(parts) >= 5 and parts[3] == "electricity-tariffs":
        return f"tariff {parts[4]}"
    if len(parts) >= 3 and parts[1] == "products":
        return f"product {parts[2]}"
    return "such resource"


def _param(value: bool | str | datetime) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value)
    return value


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
