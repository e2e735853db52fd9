"""The tariff library synced from Octopus Energy's published products
(`tariffconnect library sync --source octopus`, and weekly as `tariffs.library_sync`).

What is synced: the products `GET /v1/products/` lists as on sale now that are domestic
(not business), not prepay, not restricted, electricity import, and not market-priced
(Agile and Tracker follow the market series, docs/market-prices.md). For each, every region's
direct-debit tariff from `GET /v1/products/{code}/` becomes one entry; a day/night (E7) tariff
becomes its own entry. Every figure comes from the API: unit rates and standing charges
including VAT (as billed to households), in pounds.

Time-of-day windows: Octopus publishes them only as the rows of `standard-unit-rates`, one row
per window with its `valid_from` / `valid_to` (Go: 00:30-05:30 and 05:30-00:30; Cosy, Flux and
Intelligent Go likewise). So the windows of every single-register product are read from the
rows covering one whole reference day (the last full local day before the sync, 24 hours
long): a flat product answers one open row, a Go product its two windows. The API does not
publish Economy 7 night hours (they depend on the meter), so E7 entries use 00:30-07:30 local
time, as the shipped library did, and say so in `notes`.

Atomic: everything is read first, then written in one transaction; a failure mid-way (503
after retries) leaves the previous library as it was. Entries of products gone from the list
(or past `available_to`) are marked withdrawn: no longer offered; tariffs already connected
from them are copies and keep working.
"""

from __future__ import annotations

import hashlib
import time as time_module
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.octopus.answers import Product, Rate, RegionalTariff
from tariffconnect.integrations.octopus.client import OctopusClient, Sleep
from tariffconnect.jobs import TaskContext
from tariffconnect.tariffs.library import LibraryTariff
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tariffconnect.tariffs.schedule import validate_schedule
from tariffconnect.webhooks.urls import parse_allowed_networks

SOURCE = "octopus"
OCTOPUS_PROVIDER_ID = "prv_6eb04b20869ef591375f1f8b"  # data/providers.json, gb-octopus-energy
LONDON = ZoneInfo("Europe/London")
PAYMENT_METHOD = "direct_debit_monthly"
MARKET_PRICED = ("AGILE-", "SILVER-")  # Agile and Tracker: priced from the market series
E7_NIGHT = (time(0, 30), time(7, 30))
PENCE = Decimal(100)
PLACES = Decimal("0.00001")  # 5 decimals of a pound, the wire's limit


@dataclass(frozen=True)
class SyncResult:
    offered: int  # entries on offer after the sync
    withdrawn: int  # entries newly withdrawn by it
    products: int


@dataclass(frozen=True)
class Read:
    entries: list[tuple[SyncedLibraryTariff, LibraryTariff]]
    products: int


def read_octopus(client: OctopusClient, *, now: datetime) -> Read:
    """Every current product and region as library entries (only API calls, no storing)."""
    products = [p for p in client.products(is_business=False, is_prepay=False) if _wanted(p, now)]
    day = _reference_day(now)
    entries: list[tuple[SyncedLibraryTariff, LibraryTariff]] = []
    for product in products:
        detail = client.product(product.code)
        for region, methods in sorted(detail.single_register_electricity_tariffs.items()):
            tariff = methods.get(PAYMENT_METHOD)
            if tariff is not None:
                rates = client.rates(
                    tariff.code, "standard-unit-rates", period_from=day[0], period_to=day[1]
                )
                windows = _windows(rates, day)
                entries.append(_entry(product, region, tariff, windows, now=now, e7=False))
        for region, methods in sorted(detail.dual_register_electricity_tariffs.items()):
            tariff = methods.get(PAYMENT_METHOD)
            if tariff is not None:
                entries.append(_entry(product, region, tariff, _e7(tariff), now=now, e7=True))
    return Read(entries=entries, products=len(products))


def _wanted(product: Product, now: datetime) -> bool:
    return (
        not (product.is_business or product.is_prepay or product.is_restricted)
        and product.direction in (None, "IMPORT")
        and not product.code.startswith(MARKET_PRICED)
        and not product.is_tracker
        and (product.available_from is None or product.available_from <= now)
        and (product.available_to is None or now < product.available_to)
    )


def _reference_day(now: datetime) -> tuple[datetime, datetime]:
    """The last full local day before `now` that is 24 hours long (not a clock change)."""
    day = now.astimezone(LONDON).date() - timedelta(days=1)
    while True:
        start = datetime.combine(day, time(), LONDON)
        end = datetime.combine(day + timedelta(days=1), time(), LONDON)
        if end - start == timedelta(days=1):
            return start.astimezone(UTC), end.astimezone(UTC)
        day -= timedelta(days=1)


Window = tuple[time, time, Decimal]  # local start, local end (00:00 = midnight), pounds


def _windows(rates: list[Rate], day: tuple[datetime, datetime]) -> list[Window]:
    """The day's windows from the rows covering it, merged where adjacent rates are equal;
    LibrarySyncFailed when the rows do not tile the day."""
    start, end = day
    rows = sorted(
        (r for r in rates if r.payment_method in (None, "DIRECT_DEBIT")), key=lambda r: r.valid_from
    )
    spans: list[tuple[datetime, datetime, Decimal]] = []
    cursor = start
    for row in rows:
        row_end = min(row.valid_to or end, end)
        row_start = max(row.valid_from, start)
        if row_end <= cursor:
            continue
        if row_start != cursor:
            raise LibrarySyncFailed(f"the unit rates leave a gap at {cursor.isoformat()}")
        value = _pounds(row.value_inc_vat)
        if spans and spans[-1][2] == value:
            spans[-1] = (spans[-1][0], row_end, value)
        else:
            spans.append((row_start, row_end, value))
        cursor = row_end
    if cursor != end:
        raise LibrarySyncFailed("the unit rates do not cover the whole day")
    return [(_local(a), _local(b), value) for a, b, value in spans]


def _e7(tariff: RegionalTariff) -> list[Window]:
    if tariff.day_unit_rate_inc_vat is None or tariff.night_unit_rate_inc_vat is None:
        raise LibrarySyncFailed(f"{tariff.code} has no day and night rates")
    day, night = _pounds(tariff.day_unit_rate_inc_vat), _pounds(tariff.night_unit_rate_inc_vat)
    on, off = E7_NIGHT
    return [(time(0), on, day), (on, off, night), (off, time(0), day)]


def _entry(
    product: Product,
    region: str,
    tariff: RegionalTariff,
    windows: list[Window],
    *,
    now: datetime,
    e7: bool,
) -> tuple[SyncedLibraryTariff, LibraryTariff]:
    slug = f"gb-octopus-{product.code.lower()}-{region.lower()}" + ("-e7" if e7 else "")
    read_on = now.astimezone(LONDON).date()
    hours = [
        {"valid_from": _hms(a), "valid_to": _hms(b), "rate": [{"fixed": value}]}
        for a, b, value in windows
    ]
    note = (
        "Read from the Octopus Energy API: unit rates and standing charge incl. 5% VAT, "
        "direct debit."
    )
    if e7:
        note += " Night hours 00:30-07:30 local time: the API does not publish them."
    tariff_entry = LibraryTariff.model_validate(
        {
            "id": "trl_"
            + hashlib.sha1(f"tariff:{slug}".encode(), usedforsecurity=False).hexdigest()[:24],
            "provider_id": OCTOPUS_PROVIDER_ID,
            "display_name": product.display_name + (" (Economy 7)" if e7 else ""),
            "country_code": "GB",
            "region": region,
            "currency_code": "GBP",
            "tariff_direction": "IMPORT",
            "tariff_type": "COMMODITY",
            "market_rates": False,
            "timezone": "Europe/London",
            "standing_charge": {
                "value": _pounds(tariff.standing_charge_inc_vat),
                "unit": "per_day",
            },
            "schedule": [
                {
                    "months": ["All"],
                    "dates": [],
                    "days_and_hours": [{"days": ["All"], "hours": hours}],
                }
            ],
            "source_url": f"https://api.octopus.energy/v1/products/{product.code}/",
            "published_date": read_on.isoformat(),
            "notes": note,
            "source": SOURCE,
            "product_code": product.code,
            "tariff_code": tariff.code,
        }
    )
    validate_schedule(tariff_entry.schedule, market_rates=False)
    row = SyncedLibraryTariff(
        id=tariff_entry.id,
        source=SOURCE,
        product_code=product.code,
        region=region,
        tariff_code=tariff.code,
        read_on=read_on,
        withdrawn_at=None,
        entry=tariff_entry.model_dump(mode="json"),
    )
    return row, tariff_entry


def store(session: Session, read: Read, *, now: datetime) -> SyncResult:
    """Replace the synced Octopus entries in `session` with `read`; withdraw the missing."""
    entries = read.entries
    existing = {
        row.id: row
        for row in session.scalars(
            select(SyncedLibraryTariff).where(SyncedLibraryTariff.source == SOURCE)
        )
    }
    fresh = {row.id for row, _ in entries}
    for row, _ in entries:
        old = existing.get(row.id)
        if old is None:
            session.add(row)
            continue
        old.product_code, old.region, old.tariff_code = (
            row.product_code,
            row.region,
            row.tariff_code,
        )
        old.read_on, old.entry, old.withdrawn_at = row.read_on, row.entry, None
    withdrawn = 0
    for row_id, old in existing.items():
        if row_id not in fresh and old.withdrawn_at is None:
            old.withdrawn_at = now
            withdrawn += 1
    session.flush()
    return SyncResult(offered=len(fresh), withdrawn=withdrawn, products=read.products)


class LibrarySyncFailed(Exception):
    """The published rates cannot be made into an entry; nothing is stored."""


def library_id(slug: str) -> str:
    """The library's id rule (docs/tariff-library.md): it depends only on the slug."""
    digest = hashlib.sha1(f"tariff:{slug}".encode(), usedforsecurity=False).hexdigest()
    return "trl_" + digest[:24]


def _pounds(pence: Decimal) -> Decimal:
    return (pence / PENCE).quantize(PLACES)


def _local(moment: datetime) -> time:
    return moment.astimezone(LONDON).time()


def _hms(moment: time) -> str:
    return moment.strftime("%H:%M:%S")


def run(
    settings: Settings, db: Database, *, now: datetime, sleep: Sleep = time_module.sleep
) -> SyncResult:
    """One sync with the configured API: every call first, then one transaction."""
    allow = parse_allowed_networks(settings.webhook_allowed_networks)
    with OctopusClient(
        base_url=settings.octopus_api_url,
        timeout=settings.octopus_api_timeout_seconds,
        live_mode=False,  # public products, no key; http still only to an allowed network
        allow=allow,
        sleep=sleep,
    ) as client:
        read = read_octopus(client, now=now)
    with db.transaction() as session:
        return store(session, read, now=now)


def sync_task(context: TaskContext) -> str:
    """The weekly sync (`integrations.octopus_library_sync`)."""
    result = run(context.runtime.settings, context.runtime.db, now=context.now)
    return f"{result.offered} Octopus library entries on offer, {result.withdrawn} withdrawn"
