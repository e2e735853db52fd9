"""The asyncio resources: the same names and arguments as `resources`, awaited.

Each method takes the wire's field names as keyword arguments (a Python keyword gets a
trailing underscore: `import_`) and returns the typed model of the answer. `list()` returns an
async iterator over every object (`async for`), fetching the next page (`starting_after`)
as it goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

from tariffconnect_client import _calls, models
from tariffconnect_client._core import Call
from tariffconnect_client.webhooks import AsyncJwksCache, verify_webhook_async

M = TypeVar("M", bound=models.ApiModel)
T = TypeVar("T", bound=models.ApiModel)


class Requester(Protocol):
    async def request(self, call: Call) -> Any: ...


class Resource(Generic[M]):
    _path: str
    _model: type[M]

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def _one(self, call: Call) -> M:
        return await self._as(self._model, call)

    async def _as(self, model: type[T], call: Call) -> T:
        return model.model_validate(await self._client.request(call))

    async def _every(
        self, path: str, filters: Mapping[str, Any], model: type[Any]
    ) -> AsyncIterator[Any]:
        rest, after = _calls.split_cursor(filters)
        while True:
            answer = await self._client.request(_calls.page(path, rest, after))
            for item in answer["data"]:
                yield model.model_validate(item)
            after = _calls.next_cursor(answer)
            if after is None:
                return


class Creates(Resource[M]):
    async def create(self, *, idempotency_key: str | None = None, **fields: Any) -> M:
        """POST: an Idempotency-Key is made for you unless you give one."""
        return await self._one(_calls.create(self._path, fields, idempotency_key))


class Retrieves(Resource[M]):
    async def retrieve(self, id: str) -> M:
        return await self._one(_calls.retrieve(self._path, id))


class Updates(Resource[M]):
    async def update(self, id: str, *, idempotency_key: str | None = None, **fields: Any) -> M:
        return await self._one(_calls.update(self._path, id, fields, idempotency_key))


class Deletes(Resource[M]):
    async def delete(self, id: str) -> models.Deleted:
        return await self._as(models.Deleted, _calls.delete(self._path, id))


class Lists(Resource[M]):
    def list(self, **filters: Any) -> AsyncIterator[M]:
        """Every object, newest first, page after page (`limit` sets the page size)."""
        return self._every(self._path, filters, self._model)


class Locations(Creates[models.Location], Retrieves[models.Location], Updates[models.Location],
                Deletes[models.Location], Lists[models.Location]):  # fmt: skip
    _path, _model = "/locations", models.Location

    async def status(self, id: str) -> models.LocationStatus:
        """What is connected at the location and whether its prices are available."""
        return await self._as(models.LocationStatus, _calls.sub(self._path, id, "status"))


class Customers(Creates[models.Customer], Retrieves[models.Customer], Updates[models.Customer],
                Deletes[models.Customer], Lists[models.Customer]):  # fmt: skip
    _path, _model = "/customers", models.Customer


class Devices(Creates[models.Device], Retrieves[models.Device], Updates[models.Device],
              Deletes[models.Device], Lists[models.Device]):  # fmt: skip
    _path, _model = "/devices", models.Device


class Tariffs(Creates[models.Tariff], Retrieves[models.Tariff], Updates[models.Tariff],
              Deletes[models.Tariff], Lists[models.Tariff]):  # fmt: skip
    _path, _model = "/tariffs", models.Tariff


class WebhookEndpoints(Creates[models.WebhookEndpoint], Retrieves[models.WebhookEndpoint],
                       Updates[models.WebhookEndpoint], Deletes[models.WebhookEndpoint],
                       Lists[models.WebhookEndpoint]):  # fmt: skip
    _path, _model = "/webhook_endpoints", models.WebhookEndpoint

    def deliveries(self, id: str, **filters: Any) -> AsyncIterator[models.WebhookAttempt]:
        """Every delivery attempt to the endpoint, newest first."""
        path = _calls.sub_list(self._path, id, "deliveries")
        return self._every(path, filters, models.WebhookAttempt)


class Events(Retrieves[models.Event], Lists[models.Event]):
    _path, _model = "/events", models.Event

    async def redeliver(self, id: str, *, idempotency_key: str | None = None) -> models.Redelivery:
        call = _calls.action(self._path, id, "redeliver", idempotency_key)
        return await self._as(models.Redelivery, call)


class Connect(Creates[models.ConnectSession], Retrieves[models.ConnectSession],
              Updates[models.ConnectSession]):  # fmt: skip
    """Connect sessions: `create` answers the `connect_url` to hand the customer."""

    _path, _model = "/connect", models.ConnectSession


class Providers(Retrieves[models.Provider], Lists[models.Provider]):
    _path, _model = "/providers", models.Provider


class MarketSources(Retrieves[models.MarketSource], Lists[models.MarketSource]):
    _path, _model = "/market_sources", models.MarketSource

    async def prices(self, id: str, **params: Any) -> models.MarketPrices:
        """The source's published prices (`start_time`, `end_time`)."""
        call = _calls.sub(self._path, id, "prices", params)
        return await self._as(models.MarketPrices, call)


class TariffLibrary(Lists[models.LibraryTariff]):
    """Published tariffs (`/tariffs/library`), filtered by `provider_id` or `country_code`."""

    _path, _model = "/tariffs/library", models.LibraryTariff


class Schedules(Resource[models.Duration]):
    """When to run a device: the cheapest (or greenest) times at a location."""

    _path, _model = "/schedules", models.Duration

    async def duration(self, location_id: str, **fields: Any) -> models.Duration:
        """The best `duration` minutes between `start_time` and `end_time`."""
        return await self._one(_calls.schedule("duration", location_id, fields))

    async def limit(self, location_id: str, **fields: Any) -> models.Limit:
        """The intervals below a `relative` or `absolute` price limit."""
        return await self._as(models.Limit, _calls.schedule("limit", location_id, fields))

    async def amount(self, location_id: str, **fields: Any) -> models.Amount:
        """A plan delivering each device's energy at the least cost."""
        return await self._as(models.Amount, _calls.schedule("amount", location_id, fields))


class Account(Resource[models.Account]):
    _path, _model = "/account", models.Account

    async def retrieve(self) -> models.Account:
        return await self._one(Call("GET", self._path))


class Prices(Resource[models.Price]):
    _path, _model = "/prices", models.Price

    async def retrieve(
        self, *, location_id: str, start_time: Any = None, end_time: Any, **fields: Any
    ) -> models.Price:
        """Prices for a location between two RFC 3339 times (aware `datetime`s or text)."""
        call = _calls.prices(
            location_id=location_id, start_time=start_time, end_time=end_time, fields=fields
        )
        return await self._one(call)


class Webhooks:
    """Verifying deliveries with this API's published keys (see `verify_webhook`)."""

    def __init__(self, jwks: AsyncJwksCache) -> None:
        self._jwks = jwks

    async def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        secret: str | None = None,
        now: float | None = None,
    ) -> models.Event:
        """The delivered event once its signatures hold (`verify_webhook`, with this API's keys)."""
        return await verify_webhook_async(headers, body, secret=secret, jwks=self._jwks, now=now)
