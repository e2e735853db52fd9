"""The library synced from the fixture Octopus API: exact entries, rates to the penny, a Go
product's windows read from its published rates, a withdrawn product, a second sync updating
rates, the library endpoint listing the synced entries, and a failed sync changing nothing;
the reference day around clock changes, one moment for unit rates and standing charge, an odd
product skipped, four-rate EV tariffs left out, Economy 7 hours shared with the adapter, and
the address rules."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.octopus import agreements, library_sync
from tariffconnect.integrations.octopus.answers import Agreement, Rate
from tariffconnect.integrations.octopus.client import OctopusClient
from tariffconnect.integrations.octopus.errors import OctopusAddressRefused, OctopusUnavailable
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tests.conftest import Tenant
from tests.integrations.octopus.fixture_server import (
    OctopusData,
    fail_with_503,
    four_rate_ev_tariff,
    octopus_api,
    product_detail,
    product_row,
    rate_row,
    regional_tariff,
)
from tests.market.feeds.fixture_server import FixtureServer

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the reference day: 1 December (GMT = UTC)
DAY = "2026-12-01T00:00:00Z"
OCTOPUS = "prv_6eb04b20869ef591375f1f8b"
LONDON = ZoneInfo("Europe/London")
GO = "E-1R-GO-VAR-22-10-14-C"
GO_WINDOWS = [
    ("00:00:00", "00:30:00", "0.26"),
    ("00:30:00", "05:30:00", "0.085"),
    ("05:30:00", "00:00:00", "0.26"),
]


def published() -> OctopusData:
    data = OctopusData()
    flexible = product_row("VAR-22-11-01", display_name="Flexible Octopus")
    go = product_row("GO-VAR-22-10-14", display_name="Octopus Go")
    data.products = [
        flexible,
        go,
        product_row("AGILE-24-10-01", display_name="Agile Octopus"),  # market-priced
        product_row("BUS-VAR-24-01-01", display_name="Business", is_business=True),
        product_row("PRE-VAR-24-01-01", display_name="Prepay", is_prepay=True),
        product_row("RES-VAR-24-01-01", display_name="Restricted", is_restricted=True),
        product_row("OUTGOING-VAR-24-10-26", display_name="Outgoing", direction="EXPORT"),
        product_row("OLD-VAR-20-01-01", display_name="Old", available_to="2026-11-01T00:00:00Z"),
    ]
    data.details["VAR-22-11-01"] = product_detail(
        flexible,
        single={
            "A": regional_tariff("E-1R-VAR-22-11-01-A", 54.12, standard_unit_rate=24.5175),
            "C": regional_tariff("E-1R-VAR-22-11-01-C", 61.64, standard_unit_rate=24.86),
        },
        dual={
            "C": regional_tariff(
                "E-2R-VAR-22-11-01-C", 61.64, day_unit_rate=28.63, night_unit_rate=13.05
            )
        },
    )
    data.details["GO-VAR-22-10-14"] = product_detail(
        go, single={"C": regional_tariff("E-1R-GO-VAR-22-10-14-C", 55.2, standard_unit_rate=26.0)}
    )
    outgoing = next(p for p in data.products if p["code"] == "OUTGOING-VAR-24-10-26")
    data.details["OUTGOING-VAR-24-10-26"] = product_detail(
        outgoing, single={"C": export_tariff("E-1R-OUTGOING-VAR-24-10-26-C", 15.0)}
    )
    data.rates[("E-1R-OUTGOING-VAR-24-10-26-C", "standard-unit-rates")] = [
        rate_row(15.0, "2026-10-01T00:00:00Z", None, exc_vat=15.0)
    ]
    data.rates[("E-1R-VAR-22-11-01-A", "standard-unit-rates")] = [
        rate_row(24.5175, "2026-10-01T00:00:00Z", None, payment_method="DIRECT_DEBIT")
    ]
    data.rates[("E-1R-VAR-22-11-01-C", "standard-unit-rates")] = [
        rate_row(24.86, "2026-10-01T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
        rate_row(25.9, "2026-10-01T00:00:00Z", None, payment_method="NON_DIRECT_DEBIT"),
    ]
    data.rates[("E-1R-GO-VAR-22-10-14-C", "standard-unit-rates")] = go_rates(26.0, 8.5)
    return data


def export_tariff(code: str, rate: float) -> dict[str, object]:
    """An Outgoing tariff as published: no standing charge, and no VAT on what is paid for
    exported energy (the exc-VAT and inc-VAT rates are the same)."""
    tariff = regional_tariff(code, 0, standard_unit_rate=rate)
    tariff["standard_unit_rate_exc_vat"] = rate
    return tariff


def go_rates(day: float, night: float) -> list[dict[str, object]]:
    """Go's windows as the API publishes them: a row per window, newest first, three days."""
    rows = []
    for back in range(3):
        start = datetime(2026, 12, 2, tzinfo=UTC) - timedelta(days=back)
        z = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        rows += [
            rate_row(
                day,
                z(start + timedelta(hours=5, minutes=30)),
                z(start + timedelta(days=1, minutes=30)),
            ),
            rate_row(
                night, z(start + timedelta(minutes=30)), z(start + timedelta(hours=5, minutes=30))
            ),
        ]
    rows.append(rate_row(day, "2026-11-28T05:30:00Z", "2026-11-29T00:30:00Z"))
    return rows


@pytest.fixture
def clean(database: Database) -> Iterator[Database]:
    """The synced table empty before and after (it is global, like the shipped library)."""
    with database.transaction() as session:
        session.execute(delete(SyncedLibraryTariff))
    yield database
    with database.transaction() as session:
        session.execute(delete(SyncedLibraryTariff))


def sync(
    settings: Settings,
    db: Database,
    server: FixtureServer,
    *,
    now: datetime = NOW,
    url: str | None = None,
    allowed: str | None = None,
) -> library_sync.SyncResult:
    update: dict[str, Any] = {"octopus_api_url": url or server.url}
    if allowed is not None:
        update["webhook_allowed_networks"] = allowed
    pointed = settings.model_copy(update=update)
    return library_sync.run(pointed, db, now=now, sleep=lambda _seconds: None)


def stored(db: Database) -> dict[str, SyncedLibraryTariff]:
    with db.transaction(write=False) as session:
        rows = session.scalars(select(SyncedLibraryTariff)).all()
        session.expunge_all()
    return {f"{r.tariff_code}": r for r in rows}


def hours(entry: dict[str, object]) -> list[tuple[str, str, str]]:
    schedule = entry["schedule"]
    assert isinstance(schedule, list)
    found = schedule[0]["days_and_hours"][0]["hours"]
    return [(h["valid_from"], h["valid_to"], str(h["rate"][0]["fixed"])) for h in found]


def test_sync_stores_every_wanted_product_and_region_to_the_penny(
    settings: Settings, clean: Database
) -> None:
    with octopus_api(published()) as (server, _):
        result = sync(settings, clean, server)
    assert (result.products, result.offered, result.withdrawn) == (3, 5, 0)
    rows = stored(clean)
    assert sorted(rows) == [
        "E-1R-GO-VAR-22-10-14-C",
        "E-1R-OUTGOING-VAR-24-10-26-C",
        "E-1R-VAR-22-11-01-A",
        "E-1R-VAR-22-11-01-C",
        "E-2R-VAR-22-11-01-C",
    ]
    flat_c = rows["E-1R-VAR-22-11-01-C"]
    assert (flat_c.source, flat_c.product_code, flat_c.region, str(flat_c.read_on)) == (
        "octopus",
        "VAR-22-11-01",
        "C",
        "2026-12-02",
    )
    entry = flat_c.entry
    assert entry["id"] == library_sync.library_id("gb-octopus-var-22-11-01-c")
    assert (entry["provider_id"], entry["display_name"], entry["region"]) == (
        OCTOPUS,
        "Flexible Octopus",
        "C",
    )
    assert (entry["source"], entry["product_code"], entry["published_date"]) == (
        "octopus",
        "VAR-22-11-01",
        "2026-12-02",
    )
    assert Decimal(str(entry["standing_charge"]["value"])) == Decimal("0.6164")
    # The direct-debit row, not the dearer NON_DIRECT_DEBIT one.
    assert hours(entry) == [("00:00:00", "00:00:00", "0.2486")]
    assert hours(rows["E-1R-VAR-22-11-01-A"].entry) == [("00:00:00", "00:00:00", "0.24518")]
    assert hours(rows["E-1R-GO-VAR-22-10-14-C"].entry) == [
        ("00:00:00", "00:30:00", "0.26"),
        ("00:30:00", "05:30:00", "0.085"),
        ("05:30:00", "00:00:00", "0.26"),
    ]
    e7 = rows["E-2R-VAR-22-11-01-C"].entry
    assert e7["display_name"] == "Flexible Octopus (Economy 7)"
    assert hours(e7) == [
        ("00:00:00", "00:30:00", "0.2863"),
        ("00:30:00", "07:30:00", "0.1305"),
        ("07:30:00", "00:00:00", "0.2863"),
    ]
    # An export product: what the customer is paid, no standing charge.
    outgoing = rows["E-1R-OUTGOING-VAR-24-10-26-C"].entry
    assert (outgoing["tariff_direction"], outgoing["standing_charge"]) == ("EXPORT", None)
    assert hours(outgoing) == [("00:00:00", "00:00:00", "0.15")]
    assert outgoing["notes"] == (
        "Read from the Octopus Energy API: the export rates paid per kWh, no standing charge."
    )


def test_a_withdrawn_product_stops_being_offered_and_a_second_sync_updates_rates(
    settings: Settings, clean: Database
) -> None:
    data = published()
    with octopus_api(data) as (server, _):
        sync(settings, clean, server)
        data.products = [p for p in data.products if p["code"] != "GO-VAR-22-10-14"]
        data.details["VAR-22-11-01"]["single_register_electricity_tariffs"]["_C"][
            "direct_debit_monthly"
        ] = regional_tariff("E-1R-VAR-22-11-01-C", 63.1, standard_unit_rate=25.01)
        data.rates[("E-1R-VAR-22-11-01-C", "standard-unit-rates")] = [
            rate_row(25.01, "2026-12-08T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
            rate_row(
                24.86, "2026-10-01T00:00:00Z", "2026-12-08T00:00:00Z", payment_method="DIRECT_DEBIT"
            ),
        ]
        later = NOW + timedelta(days=7)
        result = sync(settings, clean, server, now=later)
    assert (result.offered, result.withdrawn) == (4, 1)
    rows = stored(clean)
    withdrawn = rows["E-1R-GO-VAR-22-10-14-C"].withdrawn_at
    assert withdrawn is not None and withdrawn.replace(tzinfo=UTC) == later  # SQLite: naive UTC
    flat_c = rows["E-1R-VAR-22-11-01-C"]
    assert flat_c.withdrawn_at is None and str(flat_c.read_on) == "2026-12-09"
    assert hours(flat_c.entry) == [("00:00:00", "00:00:00", "0.2501")]
    assert Decimal(str(flat_c.entry["standing_charge"]["value"])) == Decimal("0.631")


def test_a_sync_failing_midway_leaves_the_library_intact(
    settings: Settings, clean: Database
) -> None:
    data = published()
    with octopus_api(data) as (server, _):
        sync(settings, clean, server)
        before = {code: (row.entry, row.withdrawn_at) for code, row in stored(clean).items()}
        data.products = data.products[:1]  # would withdraw Go, were the sync to finish
        data.details["VAR-22-11-01"]["single_register_electricity_tariffs"]["_C"][
            "direct_debit_monthly"
        ] = regional_tariff("E-1R-VAR-22-11-01-C", 70.0, standard_unit_rate=30.0)
        served = len(server.asked)
        original = server.handler

        def late_503(asked):  # type: ignore[no-untyped-def]
            # The products list and the detail succeed; the rates then fail every try.
            if "standard-unit-rates" in asked.path and not data.failures:
                fail_with_503(data, times=4)
            return original(asked)

        server.handler = late_503
        with pytest.raises(OctopusUnavailable):
            sync(settings, clean, server, now=NOW + timedelta(days=7))
    assert len(server.asked) > served
    after = {code: (row.entry, row.withdrawn_at) for code, row in stored(clean).items()}
    assert after == before


def test_the_library_endpoint_lists_synced_entries(
    settings: Settings, clean: Database, client: TestClient, tenant: Tenant
) -> None:
    with octopus_api(published()) as (server, _):
        sync(settings, clean, server)
    response = client.get(
        "/tariffs/library", params={"provider_id": OCTOPUS, "limit": 100}, headers=tenant.test
    )
    assert response.status_code == 200
    listed = {
        (t["product_code"], t["region"], t["display_name"]): t
        for t in response.json()["data"]
        if t["source"] == "octopus"
    }
    assert sorted(listed) == [
        ("GO-VAR-22-10-14", "C", "Octopus Go"),
        ("OUTGOING-VAR-24-10-26", "C", "Outgoing"),
        ("VAR-22-11-01", "A", "Flexible Octopus"),
        ("VAR-22-11-01", "C", "Flexible Octopus"),
        ("VAR-22-11-01", "C", "Flexible Octopus (Economy 7)"),
    ]
    go = listed[("GO-VAR-22-10-14", "C", "Octopus Go")]
    assert go["standing_charge"] == {"value": 0.552, "unit": "per_day"}
    assert [h["rate"][0]["fixed"] for h in go["schedule"][0]["days_and_hours"][0]["hours"]] == [
        0.26,
        0.085,
        0.26,
    ]


# --- the reference day around clock changes ---------------------------------------------------


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_local_rates(first: date, days: int, *, day: float = 26.0, night: float = 8.5) -> list[Any]:
    """Go as published: night 00:30-05:30 London time every day, the day rate between, newest
    first; on a clock-change day the rows simply follow the local clock."""
    rows = []
    for back in range(days):
        on = first + timedelta(days=days - 1 - back)
        local = lambda d, h, m: datetime.combine(d, time(h, m), LONDON)  # noqa: E731
        rows += [
            rate_row(day, z(local(on, 5, 30)), z(local(on + timedelta(days=1), 0, 30))),
            rate_row(night, z(local(on, 0, 30)), z(local(on, 5, 30))),
        ]
    rows.append(rate_row(day, z(local(first - timedelta(days=1), 5, 30)), z(local(first, 0, 30))))
    return rows


def go_only(first: date, days: int) -> OctopusData:
    data = OctopusData()
    go = product_row("GO-VAR-22-10-14", display_name="Octopus Go")
    data.products = [go]
    data.details["GO-VAR-22-10-14"] = product_detail(
        go, single={"C": regional_tariff(GO, 55.2, standard_unit_rate=26.0)}
    )
    data.rates[(GO, "standard-unit-rates")] = go_local_rates(first, days)
    return data


@pytest.mark.parametrize(
    ("now", "period_from", "period_to"),
    [
        # 30 March: yesterday (29 March) had 23 hours, so 28 March (GMT) is read.
        (datetime(2026, 3, 30, 9, tzinfo=UTC), "2026-03-28T00:00:00Z", "2026-03-29T00:00:00Z"),
        # 31 March: 30 March is a whole summer-time day, 23:00Z to 23:00Z.
        (datetime(2026, 3, 31, 9, tzinfo=UTC), "2026-03-29T23:00:00Z", "2026-03-30T23:00:00Z"),
        # 26 October: yesterday (25 October) had 25 hours, so 24 October (BST) is read.
        (datetime(2026, 10, 26, 9, tzinfo=UTC), "2026-10-23T23:00:00Z", "2026-10-24T23:00:00Z"),
        # 27 October: 26 October is a whole GMT day.
        (datetime(2026, 10, 27, 9, tzinfo=UTC), "2026-10-26T00:00:00Z", "2026-10-27T00:00:00Z"),
    ],
)
def test_the_reference_day_is_a_24_hour_local_day_around_clock_changes(
    settings: Settings, clean: Database, now: datetime, period_from: str, period_to: str
) -> None:
    first = now.date() - timedelta(days=5)
    with octopus_api(go_only(first, 6)) as (server, _):
        result = sync(settings, clean, server, now=now)
    assert (result.offered, result.skipped) == (1, ())
    asked = [a.query for a in server.asked if a.path.endswith("/standard-unit-rates/")]
    assert [(q["period_from"], q["period_to"]) for q in asked] == [(period_from, period_to)]
    detail = [a.query for a in server.asked if a.path == "/v1/products/GO-VAR-22-10-14/"]
    assert detail == [{"tariffs_active_at": period_from}]
    assert hours(stored(clean)[GO].entry) == GO_WINDOWS


# --- one moment for unit rates and standing charge ----------------------------------------------


def test_unit_rates_and_standing_charge_are_of_the_same_day(
    settings: Settings, clean: Database
) -> None:
    """The price change on 2 December (the sync's day) is not half taken: the standing charge
    and the unit rate are both those of 1 December, the reference day."""
    data = published()
    data.products = data.products[:1]
    flexible = data.products[0]
    before = data.details.pop("VAR-22-11-01")
    after = product_detail(
        flexible,
        single={"C": regional_tariff("E-1R-VAR-22-11-01-C", 65.0, standard_unit_rate=26.0)},
    )
    data.details_from["VAR-22-11-01"] = [
        ("2026-10-01T00:00:00Z", before),
        ("2026-12-02T00:00:00Z", after),
    ]
    data.rates[("E-1R-VAR-22-11-01-C", "standard-unit-rates")] = [
        rate_row(26.0, "2026-12-02T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
        rate_row(
            24.86, "2026-10-01T00:00:00Z", "2026-12-02T00:00:00Z", payment_method="DIRECT_DEBIT"
        ),
    ]
    with octopus_api(data) as (server, _):
        result = sync(settings, clean, server)
    assert (result.offered, result.skipped) == (3, ())
    detail = [a.query for a in server.asked if a.path == "/v1/products/VAR-22-11-01/"]
    assert detail == [{"tariffs_active_at": DAY}]
    rows = stored(clean)
    flat_c = rows["E-1R-VAR-22-11-01-C"].entry
    assert Decimal(str(flat_c["standing_charge"]["value"])) == Decimal("0.6164")
    assert hours(flat_c) == [("00:00:00", "00:00:00", "0.2486")]
    e7 = rows["E-2R-VAR-22-11-01-C"].entry
    assert Decimal(str(e7["standing_charge"]["value"])) == Decimal("0.6164")


# --- one odd product is skipped -------------------------------------------------------------------


def _missing_standing_charge(data: OctopusData) -> None:
    tariffs = data.details["GO-VAR-22-10-14"]["single_register_electricity_tariffs"]
    del tariffs["_C"]["direct_debit_monthly"]["standing_charge_inc_vat"]


def _unknown_region(data: OctopusData) -> None:
    tariffs = data.details["GO-VAR-22-10-14"]["single_register_electricity_tariffs"]
    tariffs["_Z"] = tariffs.pop("_C")


def _single_register_code_under_dual(data: OctopusData) -> None:
    detail = data.details["GO-VAR-22-10-14"]
    detail["dual_register_electricity_tariffs"] = {
        "_C": {
            "direct_debit_monthly": regional_tariff(
                GO, 55.2, day_unit_rate=26.0, night_unit_rate=8.5
            )
        }
    }


def _a_gap_in_the_day(data: OctopusData) -> None:
    rows = data.rates[(GO, "standard-unit-rates")]
    data.rates[(GO, "standard-unit-rates")] = [
        r for r in rows if r["valid_from"] != "2026-12-01T00:30:00Z"
    ]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (
            _missing_standing_charge,
            "the Octopus answer's single_register_electricity_tariffs has no number "
            "standing_charge_inc_vat",
        ),
        (
            _unknown_region,
            "the Octopus answer has an unknown GSP group in single_register_electricity_tariffs",
        ),
        (
            _single_register_code_under_dual,
            f"tariff {GO} is not a dual-register electricity tariff of region C",
        ),
        (_a_gap_in_the_day, "the unit rates leave a gap at 2026-12-01T00:30:00Z"),
    ],
)
def test_one_odd_product_is_skipped_with_its_reason_and_the_rest_synced(
    settings: Settings,
    clean: Database,
    caplog: pytest.LogCaptureFixture,
    spoil: Any,
    reason: str,
) -> None:
    data = published()
    with octopus_api(data) as (server, _):
        sync(settings, clean, server)
        go_before = stored(clean)[GO].entry
        spoil(data)
        data.details["VAR-22-11-01"]["single_register_electricity_tariffs"]["_C"][
            "direct_debit_monthly"
        ] = regional_tariff("E-1R-VAR-22-11-01-C", 63.1, standard_unit_rate=24.86)
        caplog.set_level(logging.WARNING, logger=library_sync.__name__)
        result = sync(settings, clean, server)
    assert result.skipped == (library_sync.Skipped("GO-VAR-22-10-14", reason),)
    assert (result.products, result.offered, result.withdrawn) == (3, 5, 0)
    assert library_sync.describe(result) == [
        "3 products, 5 entries on offer, 0 withdrawn, 1 skipped",
        f"skipped GO-VAR-22-10-14: {reason}",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"octopus library sync: skipped product 'GO-VAR-22-10-14': {reason}"
    ]
    rows = stored(clean)
    # The rest is synced (the new standing charge), the odd product's entry kept as it was.
    flat_c = rows["E-1R-VAR-22-11-01-C"].entry
    assert Decimal(str(flat_c["standing_charge"]["value"])) == Decimal("0.631")
    assert rows[GO].withdrawn_at is None and rows[GO].entry == go_before


def test_an_odd_product_on_a_first_sync_is_just_left_out(
    settings: Settings, clean: Database
) -> None:
    data = published()
    _unknown_region(data)
    with octopus_api(data) as (server, _):
        result = sync(settings, clean, server)
    assert (result.products, result.offered, len(result.skipped)) == (3, 4, 1)
    assert GO not in stored(clean)


# --- four-rate EV tariffs ---------------------------------------------------------------------


def test_four_rate_ev_tariffs_are_left_out_without_error(
    settings: Settings, clean: Database
) -> None:
    data = published()
    intelligent = product_row("INTELLI-VAR-24-10-29", display_name="Intelligent Octopus Go")
    data.products.append(intelligent)
    four_rate = {
        "C": four_rate_ev_tariff(
            "E-1R-INTELLI-VAR-24-10-29-C",
            55.2,
            day_unit_rate=27.0,
            night_unit_rate=7.0,
            ev_device_peak_unit_rate=27.0,
            ev_device_off_peak_unit_rate=7.0,
        )
    }
    # Only four-rate tariffs (as the API answers for Intelligent Octopus Go) ...
    data.details["INTELLI-VAR-24-10-29"] = product_detail(intelligent, four_rate=four_rate)
    # ... and beside a product's single-register ones.
    data.details["VAR-22-11-01"]["four_rate_ev_electricity_tariffs"] = {
        "_C": {"direct_debit_monthly": four_rate["C"]}
    }
    with octopus_api(data) as (server, _):
        result = sync(settings, clean, server)
    assert (result.products, result.offered, result.withdrawn, result.skipped) == (4, 5, 0, ())
    assert sorted(stored(clean)) == [
        GO,
        "E-1R-OUTGOING-VAR-24-10-26-C",
        "E-1R-VAR-22-11-01-A",
        "E-1R-VAR-22-11-01-C",
        "E-2R-VAR-22-11-01-C",
    ]
    assert not [a for a in server.asked if "INTELLI" in a.path and "rates" in a.path]


# --- Economy 7: one night window for the sync and the adapter -----------------------------------


@pytest.mark.parametrize(
    ("now", "night"),
    [
        (datetime(2026, 12, 2, 9, tzinfo=UTC), ("00:30:00", "07:30:00")),  # GMT
        (datetime(2026, 7, 2, 9, tzinfo=UTC), ("01:30:00", "08:30:00")),  # BST
    ],
)
def test_economy_7_nights_are_the_same_in_the_sync_and_the_adapter(
    settings: Settings, clean: Database, now: datetime, night: tuple[str, str]
) -> None:
    data = OctopusData()
    flexible = product_row("VAR-22-11-01", display_name="Flexible Octopus")
    data.products = [flexible]
    data.details["VAR-22-11-01"] = product_detail(
        flexible,
        dual={
            "C": regional_tariff(
                "E-2R-VAR-22-11-01-C", 61.64, day_unit_rate=28.63, night_unit_rate=13.05
            )
        },
    )
    with octopus_api(data) as (server, _):
        sync(settings, clean, server, now=now)
    synced = hours(stored(clean)["E-2R-VAR-22-11-01-C"].entry)
    assert synced == [
        ("00:00:00", night[0], "0.2863"),
        (night[0], night[1], "0.1305"),
        (night[1], "00:00:00", "0.2863"),
    ]
    at = now - timedelta(days=1)  # the sync's reference day
    rate = lambda value: Rate(Decimal(value), Decimal(value), at - timedelta(days=30), None, None)  # noqa: E731
    pulled = agreements.day_night_tariff(
        "Flexible Octopus",
        Agreement("E-2R-VAR-22-11-01-C", at - timedelta(days=30), None),
        [rate("28.63")],
        [rate("13.05")],
        [rate("61.64")],
        at,
    )
    adapter = pulled["data"][0]["days_and_hours"][0]["hours"]
    assert [(h["valid_from"], h["valid_to"]) for h in adapter] == [
        (night[1], night[0]),
        (night[0], night[1]),
    ]
    assert agreements.economy7_night(at.date()) == tuple(time.fromisoformat(part) for part in night)


# --- the address rules ------------------------------------------------------------------------


def test_plain_http_needs_the_fixture_on_an_allowed_network(
    settings: Settings, clean: Database
) -> None:
    with octopus_api(published()) as (server, _):
        assert sync(settings, clean, server, allowed="127.0.0.0/8").offered == 5
        served = len(server.asked)
        with pytest.raises(OctopusAddressRefused) as caught:
            sync(settings, clean, server, allowed="", now=NOW + timedelta(days=7))
    assert str(caught.value) == (
        "the Octopus API URL is on a private network the operator did not allow"
    )
    assert len(server.asked) == served  # refused before any request
    assert all(row.withdrawn_at is None for row in stored(clean).values())


PUBLIC = "93.184.215.14"  # a public address: never connected to, _send is replaced below


def test_a_public_host_is_reached_over_https_only_whatever_the_allow_list(
    settings: Settings, clean: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with the operator's allow-list covering it, a public address (as the real API is)
    gets no plain http; https to it is made. The transport is replaced so that no packet
    leaves the machine either way: the test sees what would have been sent."""
    sent: list[str] = []

    def record(_client: OctopusClient, url: httpx.URL, addresses: object) -> object:
        sent.append(f"{url.scheme}://{url.host}{url.path}")
        empty = b'{"count": 0, "next": null, "previous": null, "results": []}'
        return 200, httpx.Headers({"content-type": "application/json"}), empty

    monkeypatch.setattr(OctopusClient, "_send", record)
    with octopus_api(OctopusData()) as (server, _):
        with pytest.raises(OctopusAddressRefused) as caught:
            sync(settings, clean, server, url=f"http://{PUBLIC}", allowed=f"{PUBLIC}/32")
        assert str(caught.value) == (
            "plain http to the Octopus API only to a private address the operator allowed"
        )
        assert sent == []
        result = sync(settings, clean, server, url=f"https://{PUBLIC}", allowed=f"{PUBLIC}/32")
    assert (result.products, result.offered) == (0, 0)
    assert sent == [f"https://{PUBLIC}/v1/products/"]
