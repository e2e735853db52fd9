"""The library synced from the fixture Octopus API: exact entries, rates to the penny, a Go
product's windows read from its published rates, a withdrawn product, a second sync updating
rates, the library endpoint listing the synced entries, and a failed sync changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.octopus import library_sync
from tariffconnect.integrations.octopus.errors import OctopusUnavailable
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tests.conftest import Tenant
from tests.integrations.octopus.fixture_server import (
    OctopusData,
    fail_with_503,
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
    data.rates[("E-1R-VAR-22-11-01-A", "standard-unit-rates")] = [
        rate_row(24.5175, "2026-10-01T00:00:00Z", None, payment_method="DIRECT_DEBIT")
    ]
    data.rates[("E-1R-VAR-22-11-01-C", "standard-unit-rates")] = [
        rate_row(24.86, "2026-10-01T00:00:00Z", None, payment_method="DIRECT_DEBIT"),
        rate_row(25.9, "2026-10-01T00:00:00Z", None, payment_method="NON_DIRECT_DEBIT"),
    ]
    data.rates[("E-1R-GO-VAR-22-10-14-C", "standard-unit-rates")] = go_rates(26.0, 8.5)
    return data


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
    settings: Settings, db: Database, server: FixtureServer, *, now: datetime = NOW
) -> library_sync.SyncResult:
    pointed = settings.model_copy(update={"octopus_api_url": server.url})
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
    assert (result.products, result.offered, result.withdrawn) == (2, 4, 0)
    rows = stored(clean)
    assert sorted(rows) == [
        "E-1R-GO-VAR-22-10-14-C",
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
    assert (result.offered, result.withdrawn) == (3, 1)
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
