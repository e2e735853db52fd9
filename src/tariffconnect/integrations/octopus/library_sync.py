"""The tariff library synced from Octopus Energy's published products
(`tariffconnect library sync --source octopus`, and weekly as the periodic task
`integrations.octopus_library_sync`); docs/octopus.md has the whole story.

What is synced: the products `GET /v1/products/` lists as on sale now that are domestic
(not business), not prepay, not restricted, and not market-priced (Agile, Agile Outgoing and
Tracker follow the market series, docs/market-prices.md): import products, and export ones
(`direction: EXPORT`, Outgoing and Flux's export side) as EXPORT entries. For each, every
region's direct-debit tariff from `GET /v1/products/{code}/` becomes one entry; an import
product's day/night (E7) tariff becomes its own entry. Every figure comes from the API: unit
rates and standing charges including VAT (as billed to households), in pounds; an export
entry has its unit rates (what the customer is paid) and no standing charge.

One moment for every figure: the reference day, the last full London day before the sync that
is 24 hours long (a clock-change day of 23 or 25 hours is passed over, compared in UTC). The
product is read with `tariffs_active_at` = the day's start, so its standing charge (and E7 day
and night rates) are those of the same day as the unit rates read for it (`period_from` /
`period_to` = the day).

Time-of-day windows: Octopus publishes them only as the rows of `standard-unit-rates`, one row
per window with its `valid_from` / `valid_to` (Go: 00:30-05:30 and 05:30-00:30; Cosy, Flux and
Intelligent Go likewise). So the windows of every single-register product are read from the
rows covering the reference day: a flat product answers one open row, a Go product its two
windows. The API does not publish Economy 7 night hours; E7 entries use the window the adapter
uses too (agreements.economy7_night: 00:30-07:30 UTC, as the local clock shows it on the
reference day), and say so in `notes`. Four-rate EV tariffs are not synced (see
read_product).

One odd product (an answer not shaped as documented, a tariff code of another register or
region, rates that do not tile the day) is skipped with its reason in the result and the log;
its entries from earlier syncs stay as they were, and the rest of the library is synced.

Atomic: everything is read first, then written in one transaction; a failure mid-way (503
after retries) leaves the previous library as it was. Entries of products gone from the list
(or past `available_to`) are marked withdrawn: no longer offered; tariffs already connected
from them are copies and keep working.
"""

from __future__ import annotations

import hashlib
import logging
import time as time_module
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.octopus.agreements import economy7_night
from tariffconnect.integrations.octopus.answers import Product, Rate, RegionalTariff
from tariffconnect.integrations.octopus.client import OctopusClient, Sleep
from tariffconnect.integrations.octopus.codes import CodeInvalid, parse_tariff_code
from tariffconnect.integrations.octopus.errors import OctopusAnswerInvalid, OctopusNotFound
from tariffconnect.jobs import TaskContext
from tariffconnect.tariffs.library import LibraryTariff
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tariffconnect.tariffs.schedule import ScheduleError, validate_schedule
from tariffconnect.webhooks.urls import parse_allowed_networks

log = logging.getLogger(__name__)

SOURCE = "octopus"
OCTOPUS_PROVIDER_ID = "prv_6eb04b20869ef591375f1f8b"  # data/providers.json, gb-octopus-energy
LONDON = ZoneInfo("Europe/London")
PAYMENT_METHOD = "direct_debit_monthly"
MARKET_PRICED = ("AGILE-", "SILVER-")  # Agile and Tracker: priced from the market series
PENCE = Decimal(100)
PLACES = Decimal("0.00001")  # 5 decimals of a pound, the wire's limit


class LibrarySyncFailed(Exception):
    """The published rates of a product cannot be made into an entry: that product is skipped."""


Entries = list[tuple[SyncedLibraryTariff, LibraryTariff]]


@dataclass(frozen=True)
class Skipped:
    """A product left out of this sync, and why (a message safe to show and log)."""

    product_code: str
    reason: str


@dataclass(frozen=True)
class SyncResult:
    offered: int  # entries on offer after the sync
    withdrawn: int  # entries newly withdrawn by it
    products: int  # products read, skipped ones included
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class Read:
    entries: Entries
    products: int
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class ReferenceDay:
    """The London day every figure is read for, with its bounds in UTC."""

    day: date
    start: datetime
    end: datetime


# What one product's odd answer raises: that product is skipped. Anything else (Octopus
# unavailable, the URL refused, a 4xx other than 404) fails the whole sync, storing nothing.
PRODUCT_FAULTS = (
    OctopusAnswerInvalid,
    OctopusNotFound,
    CodeInvalid,
    ValidationError,
    ScheduleError,
    LibrarySyncFailed,
)


def read_octopus(client: OctopusClient, *, now: datetime) -> Read:
    """Every current product and region as library entries (only API calls, no storing)."""
    products = [p for p in client.products(is_business=False, is_prepay=False) if _wanted(p, now)]
    day = _reference_day(now)
    entries: Entries = []
    skipped: list[Skipped] = []
    for product in products:
        try:
            entries += read_product(client, product, day, now=now)
        except PRODUCT_FAULTS as error:
            reason = _reason(error)
            log.warning("octopus library sync: skipped product %r: %s", product.code, reason)
            skipped.append(Skipped(product_code=product.code, reason=reason))
    return Read(entries=entries, products=len(products), skipped=tuple(skipped))


def read_product(
    client: OctopusClient, product: Product, day: ReferenceDay, *, now: datetime
) -> Entries:
    """One product's entries, every figure as of the reference day.

    Only `single_register_electricity_tariffs` and `dual_register_electricity_tariffs` are
    read. `four_rate_ev_electricity_tariffs` (Intelligent Octopus Go and similar smart EV
    tariffs) are left out on purpose: besides day and night rates they have EV-device peak
    and off-peak rates that apply in the charging slots Octopus dispatches to each customer's
    car, so they have no fixed daily schedule a library entry could show. A customer on one
    connects through the adapter, which reads their own agreement."""
    detail = client.product(product.code, tariffs_active_at=day.start)
    entries: Entries = []
    for region, methods in sorted(detail.single_register_electricity_tariffs.items()):
        tariff = methods.get(PAYMENT_METHOD)
        if tariff is not None:
            _check_code(tariff, product, region, registers=1)
            rates = client.rates(
                tariff.code, "standard-unit-rates", period_from=day.start, period_to=day.end
            )
            windows = _windows(rates, day)
            entries.append(_entry(product, region, tariff, windows, now=now, e7=False))
    if _exports(product):
        return entries  # no day/night export tariff: an export meter has one register
    for region, methods in sorted(detail.dual_register_electricity_tariffs.items()):
        tariff = methods.get(PAYMENT_METHOD)
        if tariff is not None:
            _check_code(tariff, product, region, registers=2)
            entries.append(_entry(product, region, tariff, _e7(tariff, day), now=now, e7=True))
    return entries


def _check_code(tariff: RegionalTariff, product: Product, region: str, *, registers: int) -> None:
    """The tariff code names this product, region and register count (`E-1R-…` under
    single_register, `E-2R-…` under dual_register); anything else is not guessed at."""
    parsed = parse_tariff_code(tariff.code)
    if (parsed.fuel, parsed.registers, parsed.product_code, parsed.region) != (
        "E",
        registers,
        product.code,
        region,
    ):
        kind = "single" if registers == 1 else "dual"
        raise LibrarySyncFailed(
            f"tariff {tariff.code} is not a {kind}-register electricity tariff of region {region}"
        )


def _reason(error: Exception) -> str:
    """A short message for a skipped product: the error's own (never a key: the sync uses
    none), a validation error summarised by its first complaint."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"the entry is not a valid library tariff ({where}: {first['msg']})"
    return str(error)


def _exports(product: Product) -> bool:
    return product.direction == "EXPORT"


def _wanted(product: Product, now: datetime) -> bool:
    return (
        not (product.is_business or product.is_prepay or product.is_restricted)
        and product.direction in (None, "IMPORT", "EXPORT")
        and not product.code.startswith(MARKET_PRICED)
        and not product.is_tracker
        and (product.available_from is None or product.available_from <= now)
        and (product.available_to is None or now < product.available_to)
    )


def _reference_day(now: datetime) -> ReferenceDay:
    """The last full local day before `now` that is 24 hours long (not a clock change). The
    bounds are compared in UTC: two aware datetimes of one zone subtract as wall clock times,
    which would make every day 24 hours long."""
    day = now.astimezone(LONDON).date() - timedelta(days=1)
    while True:
        start = datetime.combine(day, time(), LONDON).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), LONDON).astimezone(UTC)
        if end - start == timedelta(days=1):
            return ReferenceDay(day=day, start=start, end=end)
        day -= timedelta(days=1)


Window = tuple[time, time, Decimal]  # local start, local end (00:00 = midnight), pounds


def _windows(rates: list[Rate], day: ReferenceDay) -> list[Window]:
    """The day's windows from the rows covering it, merged where adjacent rates are equal;
    LibrarySyncFailed when the rows do not tile the day."""
    start, end = day.start, day.end
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
            raise LibrarySyncFailed(f"the unit rates leave a gap at {_z(cursor)}")
        value = _pounds(row.value_inc_vat)
        if spans and spans[-1][2] == value:
            spans[-1] = (spans[-1][0], row_end, value)
        else:
            spans.append((row_start, row_end, value))
        cursor = row_end
    if cursor != end:
        raise LibrarySyncFailed(f"the unit rates do not cover {day.day.isoformat()}")
    return [(_local(a), _local(b), value) for a, b, value in spans]


def _e7(tariff: RegionalTariff, day: ReferenceDay) -> list[Window]:
    if tariff.day_unit_rate_inc_vat is None or tariff.night_unit_rate_inc_vat is None:
        raise LibrarySyncFailed(f"{tariff.code} has no day and night rates")
    rate_by_day = _pounds(tariff.day_unit_rate_inc_vat)
    rate_by_night = _pounds(tariff.night_unit_rate_inc_vat)
    on, off = economy7_night(day.day)
    return [(time(0), on, rate_by_day), (on, off, rate_by_night), (off, time(0), rate_by_day)]


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
    exports = _exports(product)
    note = (
        "Read from the Octopus Energy API: the export rates paid per kWh, no standing charge."
        if exports
        else "Read from the Octopus Energy API: unit rates and standing charge incl. 5% VAT, "
        "direct debit."
    )
    if e7:
        on, off = windows[1][0], windows[1][1]
        note += (
            f" Night hours {_hm(on)}-{_hm(off)} local time: the Economy 7 window of a smart"
            " meter, 00:30-07:30 UTC (01:30-08:30 in summer time); the API does not publish"
            " them."
        )
    tariff_entry = LibraryTariff.model_validate(
        {
            "id": "trl_"
            + hashlib.sha1(f"tariff:{slug}".encode(), usedforsecurity=False).hexdigest()[:24],
            "provider_id": OCTOPUS_PROVIDER_ID,
            "display_name": product.display_name + (" (Economy 7)" if e7 else ""),
            "country_code": "GB",
            "region": region,
            "currency_code": "GBP",
            "tariff_direction": "EXPORT" if exports else "IMPORT",
            "tariff_type": "COMMODITY",
            "market_rates": False,
            "timezone": "Europe/London",
            "standing_charge": None
            if exports
            else {"value": _pounds(tariff.standing_charge_inc_vat), "unit": "per_day"},
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
    """Replace the synced Octopus entries in `session` with `read`; withdraw the missing,
    except those of a product skipped this time (not known to be gone: kept as they were)."""
    entries = read.entries
    existing = {
        row.id: row
        for row in session.scalars(
            select(SyncedLibraryTariff).where(SyncedLibraryTariff.source == SOURCE)
        )
    }
    fresh = {row.id for row, _ in entries}
    kept = {skipped.product_code for skipped in read.skipped}
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
        if row_id not in fresh and old.withdrawn_at is None and old.product_code not in kept:
            old.withdrawn_at = now
            withdrawn += 1
    session.flush()
    offered = len(fresh) + sum(
        1
        for row_id, old in existing.items()
        if row_id not in fresh and old.withdrawn_at is None and old.product_code in kept
    )
    return SyncResult(
        offered=offered, withdrawn=withdrawn, products=read.products, skipped=read.skipped
    )


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


def _hm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(
    settings: Settings, db: Database, *, now: datetime, sleep: Sleep = time_module.sleep
) -> SyncResult:
    """One sync with the configured API: every call first, then one transaction."""
    allow = parse_allowed_networks(settings.webhook_allowed_networks)
    with OctopusClient(
        base_url=settings.octopus_api_url,
        timeout=settings.octopus_api_timeout_seconds,
        # The library is the operator's, not an account's in test or live mode. The client's
        # rule outside live mode is the one wanted here: https to any public host (the real
        # API), plain http only to a loopback or private address in the operator's
        # allow-list (a fixture or proxy beside us, as the tests point it at).
        live_mode=False,
        allow=allow,
        sleep=sleep,
    ) as client:
        read = read_octopus(client, now=now)
    with db.transaction() as session:
        return store(session, read, now=now)


def describe(result: SyncResult) -> list[str]:
    """The result as the CLI prints it: a summary line, then one line per skipped product."""
    summary = (
        f"{result.products} products, {result.offered} entries on offer, "
        f"{result.withdrawn} withdrawn"
    )
    if result.skipped:
        summary += f", {len(result.skipped)} skipped"
    return [summary] + [f"skipped {s.product_code}: {s.reason}" for s in result.skipped]


def sync_task(context: TaskContext) -> str:
    """The weekly sync (`integrations.octopus_library_sync`)."""
    result = run(context.runtime.settings, context.runtime.db, now=context.now)
    text = f"{result.offered} Octopus library entries on offer, {result.withdrawn} withdrawn"
    if result.skipped:
        text += ", skipped: " + "; ".join(f"{s.product_code} ({s.reason})" for s in result.skipped)
    return text
