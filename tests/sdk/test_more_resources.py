"""The resources beyond the end-to-end example, each answer compared with the same request sent
by hand over HTTP: the SDK returns exactly what the wire says, typed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tariffconnect_client import Call, NotFoundError, models
from tests.sdk.conftest import LONDON
from tests.tariffs.support import two_rate

pytestmark = pytest.mark.e2e

WINDOW = {"start_time": "2026-06-01T00:00:00+01:00", "end_time": "2026-06-02T00:00:00+01:00"}


def by_hand(account, method: str, path: str, **kwargs: Any) -> Any:
    login = httpx.get(f"{account.base_url}/login", auth=(account.account_id, account.api_key))
    bearer = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
    response = httpx.request(method, f"{account.base_url}{path}", headers=bearer, **kwargs)
    assert response.is_success, response.text
    return response.json()


@pytest.fixture
def priced(client):
    """A London location with a two-rate tariff: 0.1 from 00:30 to 07:30, else 0.3."""
    location = client.locations.create(postal_address=LONDON)
    client.tariffs.create(location_id=location.id, schedule=two_rate(0.1, 0.3))
    return location


def without_times(body: dict[str, Any]) -> dict[str, Any]:
    # Each answer has its own id, and times counted from the moment it was made (a second
    # may pass between the two requests); everything else must match.
    return {k: v for k, v in body.items() if k not in {"id", "time_created", "next_update"}}


def test_schedules_duration_limit_and_amount(account, client, priced):
    duration = client.schedules.duration(
        priced.id, duration=120, segment="LOW", continuous=True, **WINDOW
    )
    assert isinstance(duration, models.Duration)
    raw = by_hand(
        account,
        "POST",
        f"/schedules/duration/{priced.id}",
        json={"duration": 120, "segment": "LOW", "continuous": True, **WINDOW},
    )
    assert without_times(duration.model_dump(by_alias=True)) == without_times(raw)
    assert [(e.start_time, e.end_time) for e in duration.data] == [
        ("2026-06-01T00:30:00+01:00", "2026-06-01T02:30:00+01:00")
    ]

    limit = client.schedules.limit(priced.id, segment="LOW", relative=0.5, **WINDOW)
    assert isinstance(limit, models.Limit)
    raw = by_hand(
        account,
        "POST",
        f"/schedules/limit/{priced.id}",
        json={"segment": "LOW", "relative": 0.5, **WINDOW},
    )
    assert without_times(limit.model_dump(by_alias=True)) == without_times(raw)

    with pytest.raises(NotFoundError) as raised:
        client.schedules.duration(
            "loc_000000000000000000000000", duration=60, segment="LOW", **WINDOW
        )
    assert raised.value.code == "location_not_found"


def test_location_status(account, client, priced):
    status = client.locations.status(priced.id)
    assert isinstance(status, models.LocationStatus)
    raw = by_hand(account, "GET", f"/locations/{priced.id}/status")
    assert status.model_dump(by_alias=True) == raw


def test_tariff_library_lists_every_page(account, client):
    listed = [tariff.id for tariff in client.tariff_library.list(country_code="GB", limit=2)]
    raw, after = [], None
    while True:
        params = {"country_code": "GB", "limit": 100} | ({"starting_after": after} if after else {})
        page = by_hand(account, "GET", "/tariffs/library", params=params)
        raw += [tariff["id"] for tariff in page["data"]]
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert listed == raw
    assert len(listed) > 2  # more than one page of two


def test_market_source_prices(account, client, priced):
    source_id = priced.market_sources.import_
    assert source_id is not None
    source = client.market_sources.retrieve(source_id)
    assert source.id == source_id
    prices = client.market_sources.prices(source_id, **WINDOW)
    assert isinstance(prices, models.MarketPrices)
    raw = by_hand(account, "GET", f"/market_sources/{source_id}/prices", params=WINDOW)
    assert prices.model_dump(by_alias=True) == raw


def test_a_raw_call_for_an_operation_without_a_resource(account, client, priced):
    path = f"/tariffs/rates/{priced.id}"
    rates = client.request(Call("GET", path, params=WINDOW))
    assert without_times(rates) == without_times(by_hand(account, "GET", path, params=WINDOW))
    with pytest.raises(NotFoundError) as raised:
        client.request(Call("GET", "/tariffs/rates/loc_000000000000000000000000", params=WINDOW))
    assert raised.value.code == "location_not_found"
