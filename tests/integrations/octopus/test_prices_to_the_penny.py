"""What an app is quoted after an Octopus customer connects: `POST /prices` for a whole local
day matches the fixture server's published rates to the penny, for a Go, an Economy 7 and an
Agile account (Agile from the series the market ingestion stored for the customer's region)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.market import fetching, sources, store
from tariffconnect.market.feeds import http
from tests.conftest import Tenant
from tests.connect.flow.test_direct_routes import module
from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.test_adapter_flow import (  # noqa: F401 (fixtures)
    at_login,
    log_in,
    octo_client,
    octo_tenant,
)
from tests.market.public_feeds import agile_pence, public_feeds, settings_for


def connected_location(client: TestClient, tenant: Tenant, number: str) -> str:
    """The location of a session that connected the Octopus account `number`."""
    token = at_login(client, tenant)
    amd = log_in(client, token, number)["data"]["auth_metadata_id"]
    consent = {"auth_metadata_id": amd, "consent_given": True}
    assert module(client, token, "consent_capture", data=consent)["route"] == "session_redirect"
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    return str(session["location_id"])


def day_prices(client: TestClient, tenant: Tenant, location_id: str, day: date) -> list[Any]:
    """POST /prices for the London local day `day` (23, 24 or 25 hours)."""
    start = datetime.combine(day, time(), octo.LONDON)
    end = datetime.combine(day + timedelta(days=1), time(), octo.LONDON)
    body = {
        "location_id": location_id,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
    }
    response = client.post("/prices", json=body, headers=tenant.test)
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def half_hours(data: list[Any]) -> dict[datetime, Decimal]:
    """The answer's price in each half hour it covers (UTC start -> GBP/kWh), checking that the
    intervals tile the window without gaps."""
    out: dict[datetime, Decimal] = {}
    reach = None
    for interval in data:
        start = datetime.fromisoformat(interval["valid_from"]).astimezone(UTC)
        end = datetime.fromisoformat(interval["valid_to"]).astimezone(UTC)
        assert reach is None or start == reach, "the intervals leave a gap"
        reach = end
        moment = start
        while moment < end:
            out[moment] = Decimal(str(interval["price"]["value"]))
            moment += timedelta(minutes=30)
    return out


def pence(value: float | Decimal) -> Decimal:
    """A published rate (pence per kWh, VAT included) in pounds, as prices are answered."""
    return (Decimal(str(value)) / 100).quantize(Decimal("0.00001"))


def expected_go(moment: datetime) -> Decimal:
    """Go: cheap from 00:30 to 05:30 London time, the peak rate otherwise."""
    local = moment.astimezone(octo.LONDON).time()
    cheap = time(0, 30) <= local < time(5, 30)
    return pence(octo.GO_CHEAP if cheap else octo.GO_PEAK)


def expected_e7(moment: datetime) -> Decimal:
    """Economy 7: the night rate from 00:30 to 07:30 GMT (UTC), the day rate otherwise."""
    night = time(0, 30) <= moment.time() < time(7, 30)
    return pence(octo.E7_NIGHT if night else octo.E7_DAY)


@pytest.fixture
def tomorrow() -> date:
    return datetime.now(octo.LONDON).date() + timedelta(days=1)


@pytest.mark.parametrize(
    ("number", "expected"),
    [(octo.GO_NUMBER, expected_go), (octo.E7_NUMBER, expected_e7)],
    ids=["go", "economy-7"],
)
def test_a_time_of_day_account_is_priced_to_the_penny(
    octo_client: TestClient,  # noqa: F811
    octo_tenant: Tenant,  # noqa: F811
    tomorrow: date,
    number: str,
    expected: Any,
) -> None:
    location_id = connected_location(octo_client, octo_tenant, number)
    quoted = half_hours(day_prices(octo_client, octo_tenant, location_id, tomorrow))
    assert len(quoted) in (46, 48, 50)  # the whole local day, DST days included
    assert quoted == {moment: expected(moment) for moment in quoted}
    assert len(set(quoted.values())) == 2  # both rates quoted on the day


def test_agile_is_priced_from_the_regions_ingested_series(
    octo_client: TestClient,  # noqa: F811
    octo_tenant: Tenant,  # noqa: F811
    settings: Settings,
    database: Database,
    tomorrow: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)
    london = sources.find("gb-london")  # SW1A 2AA is in GSP group C
    assert sources.gsp_group(london) == "_C"
    with public_feeds() as server:
        (outcome,) = fetching.fetch_many(
            settings_for(settings, server),
            database,
            [(london, tomorrow, tomorrow)],
            now=datetime.now(UTC),
        )
    assert (outcome.feed, outcome.failed) == ("OCTOPUS", False)
    location_id = connected_location(octo_client, octo_tenant, octo.AGILE_NUMBER)
    tariffs = octo_client.get(
        "/tariffs", params={"location_id": location_id}, headers=octo_tenant.test
    ).json()["data"]
    assert [(t["market_rates"], t["market_source_id"]) for t in tariffs] == [(True, london.id)]
    quoted = half_hours(day_prices(octo_client, octo_tenant, location_id, tomorrow))
    assert len(quoted) in (46, 48, 50)
    # No surcharge on Agile: the published half-hour rate is the price, negative ones too.
    published = {moment: store.rounded(agile_pence("C", moment) / 100) for moment in quoted}
    assert quoted == published
    assert any(value < 0 for value in quoted.values())
