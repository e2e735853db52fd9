"""Prices: a location's connected tariffs turned into a price series for a time window."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from tariffconnect.core.errors import ApiError
from tariffconnect.core.ids import new_id
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc, format_utc, utcnow
from tariffconnect.core.windows import JSON_OPTIONS, check_window
from tariffconnect.devices import service as devices
from tariffconnect.locations import direct_status
from tariffconnect.locations import service as locations
from tariffconnect.locations.models import Location
from tariffconnect.market import sources, store
from tariffconnect.market.cache import PublishedDays, published_days
from tariffconnect.market.forecast import HISTORY_DAYS, Forecast, forecast
from tariffconnect.market.ingest import delivery_zone
from tariffconnect.market.ingest import window as delivery_days
from tariffconnect.market.models import MarketPrice
from tariffconnect.market.publication import next_publication
from tariffconnect.prices import direct_state
from tariffconnect.prices.breakdown import Part, tariff_parts
from tariffconnect.prices.cache import SERIES
from tariffconnect.prices.calendar import public_holidays
from tariffconnect.prices.engine import (
    Columns,
    Interval,
    MarketPrices,
    NoPriceData,
    as_intervals,
    price_columns,
)
from tariffconnect.prices.prepared import market_prices
from tariffconnect.prices.schemas import PriceWindow
from tariffconnect.prices.series import series_json
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.schedule import Schedule, ScheduleEntry, validate_schedule

FIXED_REFRESH = timedelta(hours=24)
_COMPILED_MAX = 4096
# The end of the last interval published before an instant: where a forecast starts.
_PUBLISHED_END = select(func.max(MarketPrice.end)).where(
    MarketPrice.source_id == bindparam("source_id"), MarketPrice.start < bindparam("before")
)
# The forecast's 4 weeks are local days; a day more covers any UTC offset and DST change.
_HISTORY_READ = timedelta(days=HISTORY_DAYS + 1)
_compiled: OrderedDict[tuple[str, datetime], Schedule] = OrderedDict()


def price_body(
    session: Session,
    *,
    scope: Scope,
    location_id: str,
    device_id: str | None,
    window: PriceWindow,
) -> bytes:
    """The price object for one location and window, as the JSON body of the answer."""
    now = utcnow()
    start = window.start_time or now.astimezone(window.end_time.tzinfo)
    end = window.end_time
    check_window(start, end)
    location = locations.get_or_raise(session, scope=scope, location_id=location_id)
    if device_id is not None:
        devices.get_or_raise(session, scope=scope, device_id=device_id)
    states = direct_status.states(session, [location.id])[location.id]
    priced = priced_tariffs(
        session, location=location, direction=window.tariff_direction, states=states
    )
    versions = _versions(session, priced)
    offset = end.tzinfo or UTC
    data = _data(
        session,
        location,
        priced,
        versions,
        start=start,
        end=end,
        offset=offset,
        cap=direct_state.stale_cap(states, window.tariff_direction),
    )
    charges = [t.standing_charge for t in priced if t.standing_charge is not None]
    head = {
        "id": new_id("prs"),
        "object": "price",
        "live_mode": scope.live_mode,
        "location_id": location.id,
        "device_id": device_id,
        "location_timezone": location.timezone,
        "currency_code": location.currency_code,
        "tariff_direction": window.tariff_direction,
        "last_updated": format_utc(max(as_utc(t.time_updated) for t in priced)),
        "next_update": format_utc(_next_update(session, priced, versions, now)),
        "request": {
            "location_id": location.id,
            "device_id": device_id,
            "start_time": start.astimezone(offset),
            "end_time": end,
            "tariff_direction": window.tariff_direction,
        },
    }
    tail = {
        "standing_charge": (
            {"value": float(sum(charges, Decimal(0))), "unit": "per_day"} if charges else None
        ),
        "time_created": format_utc(now),
        "account_id": scope.account_id,
    }
    # {head..., "data": [...], tail...}: the fields in the wire order, the array as cached.
    return b"".join(
        (
            orjson.dumps(head, option=JSON_OPTIONS)[:-1],
            b',"data":',
            data,
            b",",
            orjson.dumps(tail, option=JSON_OPTIONS)[1:],
        )
    )


def priced_tariffs(
    session: Session,
    *,
    location: Location,
    direction: str,
    states: Sequence[direct_status.ElementState] | None = None,
) -> list[Tariff]:
    """The location's connected tariffs of one direction (the location already checked to be
    the caller's); 422 `pending_connect` while a DIRECT element of that direction awaits its
    first tariff, else 422 `no_tariff_connected` when there is none. `states` are the
    location's DIRECT elements when the caller has read them."""
    priced = [
        t
        for t in tariffs.connected(session, location_ids=[location.id])
        if t.tariff_direction == direction
    ]
    if states is None:
        states = direct_status.states(session, [location.id])[location.id]
    direct_state.check_pending(states, location_id=location.id, direction=direction, priced=priced)
    if not priced:
        raise ApiError(
            422,
            "no_tariff_connected",
            f"Location {location.id} has no connected {direction} tariff.",
        )
    return priced


def next_update(
    session: Session,
    priced: list[Tariff],
    now: datetime,
    *,
    versions: dict[str, store.Version] | None = None,
) -> datetime:
    """When asking again about `priced` may give other prices (as /prices says it);
    `versions` are the market sources' (`market_versions`, read here when not given)."""
    if versions is None:
        versions = _versions(session, priced)
    return _next_update(session, priced, versions, now)


def market_versions(session: Session, priced: list[Tariff]) -> dict[str, store.Version]:
    """The version of each market source `priced` follows, for `intervals` and `next_update`
    to share one read."""
    return _versions(session, priced)


def _data(
    session: Session,
    location: Location,
    priced: list[Tariff],
    versions: dict[str, store.Version],
    *,
    start: datetime,
    end: datetime,
    offset: tzinfo,
    cap: Decimal | None = None,
) -> bytes:
    """The `data` array as JSON: from the series cache, or priced and kept there (prices/cache.py
    says why every input is in the key); no confidence above `cap` when given."""
    key = (
        location.id,
        location.timezone,
        location.country_code,
        location.state,
        tuple((t.id, as_utc(t.time_updated)) for t in priced),
        tuple(sorted((source_id, v.token) for source_id, v in versions.items())),
        as_utc(start),
        as_utc(end),
        offset.utcoffset(None),
        cap,
    )
    found = SERIES.get(key)
    if found is None:
        inputs = [
            (_schedule(t), _market(session, t, versions, as_utc(start), as_utc(end)))
            for t in priced
        ]
        columns = _price(location, inputs, start=as_utc(start), end=as_utc(end), decimals=5)
        found = series_json(direct_state.capped(columns, cap), offset)
        SERIES.put(key, found)
    return found


def intervals(
    session: Session,
    location: Location,
    priced: list[Tariff],
    *,
    start: datetime,
    end: datetime,
    versions: dict[str, store.Version] | None = None,
    states: Sequence[direct_status.ElementState] | None = None,
) -> list[Interval]:
    """The summed price intervals of `priced` (tariffs of `location`, already checked to be
    the caller's) from `start` to `end` (UTC), confidence capped as /prices caps it while a
    DIRECT tariff is stale; 422 `no_price_data` where market prices are missing. `versions`
    are the market sources' and `states` the location's DIRECT elements (each read here when
    not given: a caller pricing several windows reads them once)."""
    if versions is None:
        versions = _versions(session, priced)
    inputs = [(_schedule(t), _market(session, t, versions, start, end)) for t in priced]
    columns = _price(location, inputs, start=start, end=end, decimals=5)
    if priced:
        if states is None:
            states = direct_status.states(session, [location.id])[location.id]
        columns = direct_state.capped(
            columns, direct_state.stale_cap(states, priced[0].tariff_direction)
        )
    return as_intervals(columns)


def tariff_inputs(
    session: Session, priced: list[Tariff], *, start: datetime, end: datetime
) -> list[tuple[Schedule, MarketPrices | None]]:
    """Each of `priced`'s compiled schedule with the market prices it follows over the window
    (published, then forecast), as the engine takes them."""
    versions = _versions(session, priced)
    return [(_schedule(t), _market(session, t, versions, start, end)) for t in priced]


def exact_intervals(
    location: Location,
    inputs: list[tuple[Schedule, MarketPrices | None]],
    *,
    start: datetime,
    end: datetime,
    decimals: int | None = None,
) -> list[Interval]:
    """The summed price of `inputs` (`tariff_inputs`, or variants of them) over [start, end)
    at `location`, unrounded unless `decimals` is given (costs round once, at the end); 422
    `no_price_data` where market prices are missing."""
    return as_intervals(_price(location, inputs, start=start, end=end, decimals=decimals))


def _price(
    location: Location,
    inputs: list[tuple[Schedule, MarketPrices | None]],
    *,
    start: datetime,
    end: datetime,
    decimals: int | None,
) -> Columns:
    try:
        return price_columns(
            inputs,
            start=start,
            end=end,
            zone=ZoneInfo(location.timezone),
            holidays=_holidays(location, start, end),
            decimals=decimals,
        )
    except NoPriceData:
        raise _no_price_data() from None


def parts(
    session: Session, location: Location, priced: list[Tariff], *, start: datetime, end: datetime
) -> list[list[Part]]:
    """Each of `priced`'s prices in its parts (prices/breakdown.py) over the same window, from
    the same schedules and market prices as `intervals`; 422 `no_price_data` as there."""
    versions = _versions(session, priced)
    zone, holidays = ZoneInfo(location.timezone), _holidays(location, start, end)
    try:
        return [
            tariff_parts(
                _schedule(t),
                _market(session, t, versions, start, end),
                start=start,
                end=end,
                zone=zone,
                holidays=holidays,
            )
            for t in priced
        ]
    except NoPriceData:
        raise _no_price_data() from None


def _holidays(location: Location, start: datetime, end: datetime) -> frozenset[date]:
    return public_holidays(
        location.country_code,
        location.state,
        range((start - timedelta(days=1)).year, (end + timedelta(days=1)).year + 1),
    )


def _no_price_data() -> ApiError:
    return ApiError(422, "no_price_data", "Market prices for this window are not available yet.")


def _schedule(tariff: Tariff) -> Schedule:
    """The tariff's compiled schedule, cached until the tariff changes."""
    key = (tariff.id, as_utc(tariff.time_updated))
    found = _compiled.get(key)
    if found is None:
        entries = [ScheduleEntry.model_validate(entry) for entry in tariff.schedule]
        found = validate_schedule(entries, market_rates=tariff.market_rates)
        _compiled[key] = found
        if len(_compiled) > _COMPILED_MAX:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(key)
    return found


def _versions(session: Session, priced: list[Tariff]) -> dict[str, store.Version]:
    """The version of each market source `priced` follows (one read for all of them)."""
    return store.versions(
        session, [t.market_source_id for t in priced if t.market_rates and t.market_source_id]
    )


def _market(
    session: Session,
    tariff: Tariff,
    versions: dict[str, store.Version],
    start: datetime,
    end: datetime,
) -> MarketPrices | None:
    """The market prices for the window: as published (whole days, prices/prepared.py), then
    forecast past the last one."""
    if not tariff.market_rates or tariff.market_source_id is None:
        return None
    version = versions.get(tariff.market_source_id)
    if version is None:
        return MarketPrices([])  # nothing ever stored: no price data
    source_id = tariff.market_source_id
    connection = session.connection()
    days = published_days(connection)
    published = market_prices(connection, days, source_id, version.token, start=start, end=end)
    last = published.last_end_within(start, end)
    if last is not None and last >= end:
        return published
    horizon = last or _horizon(connection, source_id, version, start)
    ahead = (
        []
        if horizon is None
        else _forecast(connection, days, source_id, version, horizon, start, end)
    )
    if not ahead or horizon is None:
        return published  # the engine answers no_price_data where it must
    return MarketPrices.joined([published.until(horizon), MarketPrices(ahead)])


def _horizon(
    connection: Connection, source_id: str, version: store.Version, start: datetime
) -> datetime | None:
    """Where a forecast for a window with no published price in it starts."""
    if version.published_until <= start:
        return version.published_until  # the usual case: the window lies past it all
    return _published_end(connection, source_id, start)  # a window in a gap


def _forecast(
    connection: Connection,
    days: PublishedDays,
    source_id: str,
    version: store.Version,
    horizon: datetime,
    start: datetime,
    end: datetime,
) -> list[Forecast]:
    """Forecast intervals from `horizon` up to `end`, those that reach into the window; none
    for a source outside the shipped catalogue."""
    source = sources.get(source_id)
    if source is None:
        return []
    history = days.window(
        connection, source_id, version.token, start=horizon - _HISTORY_READ, end=horizon
    )
    found = forecast(
        history,
        zone=delivery_zone(source),
        resolution=timedelta(minutes=source.resolution_minutes),
        until=end,
    )
    return [interval for interval in found if interval[1] > start]


def _published_end(connection: Connection, source_id: str, before: datetime) -> datetime | None:
    """The end of the source's last interval starting before `before`."""
    found = connection.execute(_PUBLISHED_END, {"source_id": source_id, "before": before})
    value = found.scalar_one_or_none()
    return None if value is None else as_utc(value)


def _next_update(
    session: Session, priced: list[Tariff], versions: dict[str, store.Version], now: datetime
) -> datetime:
    """When asking again may give other prices.

    Fixed schedules change only when the tariff does (apps learn of that by `location.update`),
    so a day from now, or the contract's end if that comes first; a market tariff when its
    source's next day is expected (market/publication.py), from what is stored of today and
    tomorrow (read through the cache of published days).
    """
    candidates = [now + FIXED_REFRESH]
    for tariff in priced:
        if tariff.contract_end_date is not None and as_utc(tariff.contract_end_date) > now:
            candidates.append(as_utc(tariff.contract_end_date))
        source = sources.get(tariff.market_source_id or "") if tariff.market_rates else None
        if source is not None:
            version = versions.get(source.id)
            until = None
            if version is not None:
                connection = session.connection()
                today = now.astimezone(delivery_zone(source)).date()
                _, tomorrow_end = delivery_days(source, first=today, last=today + timedelta(days=1))
                stored = published_days(connection).window(
                    connection, source.id, version.token, start=now, end=tomorrow_end
                )
                until = stored[-1][1] if stored else None
            candidates.append(next_publication(source, now=now, published_until=until))
    return min(candidates)


def available_now(session: Session, location: Location, tariff: Tariff, now: datetime) -> bool:
    """True when `/prices` for this moment has a price of `tariff` (published or forecast):
    always for a fixed schedule, for a market tariff only once its source has prices."""
    if not tariff.market_rates:
        return True
    try:
        intervals(session, location, [tariff], start=now, end=now + timedelta(minutes=1))
    except ApiError:
        return False
    return True
