"""`Client` and `AsyncClient`: log in, keep the bearer fresh, send with retries, raise errors.

Both have the same surface; every decision (what to retry, how long to wait, what an answer
means) is in `_core`, so the two differ only in how they send and sleep.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any, Self

import httpx

from tariffconnect_client import _core, async_resources, resources
from tariffconnect_client._core import Call
from tariffconnect_client.webhooks import AsyncJwksCache, JwksCache

# The second pass of a call exists only to log in again after a 401 for an expired token.
_PASSES = 2


class _Base:
    def __init__(
        self,
        *,
        account_id: str,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        flatpeak_version: str | None,
    ) -> None:
        self._settings = _core.settings(
            account_id=account_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            flatpeak_version=flatpeak_version,
        )
        self._token = _core.Token()

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def jwks_url(self) -> str:
        """Where this API publishes the keys that sign its webhooks."""
        return f"{self.base_url}/jwks.json"

    def _call_arguments(self, call: Call, headers: dict[str, str]) -> dict[str, Any]:
        bearer = {"Authorization": f"Bearer {self._token.value}"}
        return {"params": call.query(), "json": call.json, "headers": headers | bearer}

    def _call_headers(self, call: Call) -> dict[str, str]:
        # Made once per call, so every retry carries the same Idempotency-Key.
        return self._settings.headers() | call.request_headers()

    def _login_arguments(self) -> dict[str, Any]:
        return {"auth": self._settings.login_auth(), "headers": self._settings.headers()}


class Client(_Base):
    """The TariffConnect (or Flatpeak) API, synchronously.

    `Client(account_id="acc_…", api_key="sk_test_…", base_url="http://localhost:8000")`; the
    base URL defaults to Flatpeak's hosted API, whose wire is the same.
    """

    def __init__(
        self,
        *,
        account_id: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = _core.DEFAULT_TIMEOUT,
        max_retries: int = _core.DEFAULT_MAX_RETRIES,
        flatpeak_version: str | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            account_id=account_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            flatpeak_version=flatpeak_version,
        )
        self._http = http_client or httpx.Client(timeout=timeout)
        self._owns_http = http_client is None
        self.jwks = JwksCache(self.jwks_url, self._http)
        self.account = resources.Account(self)
        self.locations = resources.Locations(self)
        self.customers = resources.Customers(self)
        self.devices = resources.Devices(self)
        self.tariffs = resources.Tariffs(self)
        self.connect = resources.Connect(self)
        self.prices = resources.Prices(self)
        self.providers = resources.Providers(self)
        self.market_sources = resources.MarketSources(self)
        self.tariff_library = resources.TariffLibrary(self)
        self.schedules = resources.Schedules(self)
        self.events = resources.Events(self)
        self.webhook_endpoints = resources.WebhookEndpoints(self)
        self.webhooks = resources.Webhooks(self.jwks)

    def request(self, call: Call) -> Any:
        """Send one call and return its JSON; the resources use this, and so may you."""
        headers = self._call_headers(call)
        for attempt in range(_PASSES):
            if not self._token.fresh():
                self.login()
            response = self._send(call.method, call.path, **self._call_arguments(call, headers))
            if attempt + 1 == _PASSES or not _core.is_expired_token(response):
                break
            self._token.clear()
        return _core.result(response)

    def login(self) -> None:
        """Exchange the account id and key for a bearer token (done for you when needed)."""
        response = self._send("GET", "/login", **self._login_arguments())
        _core.result(response)
        self._token.store(response)

    def _send(self, method: str, path: str, **arguments: Any) -> httpx.Response:
        """One request with its retries; the last answer, whatever it is."""
        attempt = 0
        while True:
            try:
                response = self._http.request(method, self.base_url + path, **arguments)
            except httpx.TransportError as error:
                delay = _core.retry_delay(None, attempt, self._settings.max_retries)
                if delay is None:
                    raise _core.connection_error(error) from error
            else:
                delay = _core.retry_delay(response, attempt, self._settings.max_retries)
                if delay is None:
                    return response
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_Base):
    """The same API and surface as `Client`, for asyncio: `await` the calls, `async for` lists."""

    def __init__(
        self,
        *,
        account_id: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = _core.DEFAULT_TIMEOUT,
        max_retries: int = _core.DEFAULT_MAX_RETRIES,
        flatpeak_version: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            account_id=account_id,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            flatpeak_version=flatpeak_version,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._owns_http = http_client is None
        # Concurrent calls that find the token stale log in once, not once each.
        self._login_lock = asyncio.Lock()
        self.jwks = AsyncJwksCache(self.jwks_url, self._http)
        self.account = async_resources.Account(self)
        self.locations = async_resources.Locations(self)
        self.customers = async_resources.Customers(self)
        self.devices = async_resources.Devices(self)
        self.tariffs = async_resources.Tariffs(self)
        self.connect = async_resources.Connect(self)
        self.prices = async_resources.Prices(self)
        self.providers = async_resources.Providers(self)
        self.market_sources = async_resources.MarketSources(self)
        self.tariff_library = async_resources.TariffLibrary(self)
        self.schedules = async_resources.Schedules(self)
        self.events = async_resources.Events(self)
        self.webhook_endpoints = async_resources.WebhookEndpoints(self)
        self.webhooks = async_resources.Webhooks(self.jwks)

    async def request(self, call: Call) -> Any:
        """Send one call and return its JSON; the resources use this, and so may you."""
        headers = self._call_headers(call)
        for attempt in range(_PASSES):
            if not self._token.fresh():
                await self._login_once()
            arguments = self._call_arguments(call, headers)
            response = await self._send(call.method, call.path, **arguments)
            if attempt + 1 == _PASSES or not _core.is_expired_token(response):
                break
            self._token.clear()
        return _core.result(response)

    async def login(self) -> None:
        """Exchange the account id and key for a bearer token (done for you when needed)."""
        response = await self._send("GET", "/login", **self._login_arguments())
        _core.result(response)
        self._token.store(response)

    async def _login_once(self) -> None:
        async with self._login_lock:
            if not self._token.fresh():
                await self.login()

    async def _send(self, method: str, path: str, **arguments: Any) -> httpx.Response:
        """One request with its retries; the last answer, whatever it is."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, self.base_url + path, **arguments)
            except httpx.TransportError as error:
                delay = _core.retry_delay(None, attempt, self._settings.max_retries)
                if delay is None:
                    raise _core.connection_error(error) from error
            else:
                delay = _core.retry_delay(response, attempt, self._settings.max_retries)
                if delay is None:
                    return response
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
