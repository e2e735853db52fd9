"""Consumption tiers: costs count the energy already used in the tier's local period; /prices
answers the first tier."""

import pytest

from tests.costs.support import periods, submit, tiered
from tests.meters.support import record
from tests.schedules.support import connect, make_location, post
from tests.tariffs.support import tariff_body

JUNE = ("2026-06-01T00:00:00+01:00", "2026-06-03T00:00:00+01:00")


def kwh(location, value, start, end):
    return record(location, units="KWH", value=value, start_time=start, end_time=end)


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)["id"]


def usage(location):
    """60 kWh on 1 June and 41 on 2 June (local days)."""
    return [
        kwh(location, 60, "2026-06-01T08:00:00+01:00", "2026-06-01T20:00:00+01:00"),
        kwh(location, 41, "2026-06-02T08:00:00+01:00", "2026-06-02T20:00:00+01:00"),
    ]


def days(client, tenant, location, start, end):
    body = {"start_time": start, "end_time": end}
    answer = post(client, tenant, f"/costs/interval/{location}?aggregation=DAY", body)
    return [p[2:4] for p in periods(answer)]


def test_the_101st_kwh_of_a_month_costs_the_second_tier(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))
    submit(client, tenant, usage(location))
    assert days(client, tenant, location, *JUNE) == [(60000.0, 6.0), (41000.0, 4.5)]
    # The energy of 1 June counts although the window starts later.
    assert days(client, tenant, location, JUNE[1].replace("03", "02"), JUNE[1]) == [(41000.0, 4.5)]


def test_a_new_month_starts_again(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))
    submit(client, tenant, usage(location))
    submit(
        client,
        tenant,
        [kwh(location, 10, "2026-07-01T08:00:00+01:00", "2026-07-01T09:00:00+01:00")],
    )
    start, end = "2026-07-01T00:00:00+01:00", "2026-07-02T00:00:00+01:00"
    assert days(client, tenant, location, start, end) == [(10000.0, 1.0)]


def test_daily_tiers(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 50, 0.5), tier_period="DAY"))
    submit(client, tenant, usage(location))
    # 1 June: 50 at 0.1 and 10 at 0.5; 2 June starts again: 41 at 0.1.
    assert days(client, tenant, location, *JUNE) == [(60000.0, 10.0), (41000.0, 4.1)]


def test_one_record_across_the_tier_limit(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))
    submit(
        client,
        tenant,
        [kwh(location, 101, "2026-06-01T08:00:00+01:00", "2026-06-01T20:00:00+01:00")],
    )
    assert days(client, tenant, location, *JUNE) == [(101000.0, 10.5), (0.0, 0.0)]


def test_an_instant_cost_counts_the_months_stored_energy(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))
    submit(client, tenant, usage(location))
    late = kwh(location, 2, "2026-06-03T08:00:00+01:00", "2026-06-03T09:00:00+01:00")
    answer = post(client, tenant, "/costs/instant?non_persistent=true", late)
    assert answer["data"]["cost"]["value"] == 1.0  # the 102nd and 103rd kWh


def test_prices_answer_the_first_tier(client, tenant, location):
    connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))
    body = {"start_time": "2026-06-01T00:00:00Z", "end_time": "2026-06-01T01:00:00Z"}
    answer = post(client, tenant, f"/prices/{location}", body)
    assert [d["price"]["value"] for d in answer["data"]] == [0.1]


def test_the_tariff_says_its_tier_period(client, tenant, location):
    assert (
        connect(client, tenant, tariff_body(location, tiered(0.1, 100, 0.5)))["tier_period"]
        == "MONTH"
    )
    response = client.post(
        "/tariffs",
        json=tariff_body(location, tiered(0.1, 100, 0.5), tier_period="WEEK"),
        headers=tenant.test,
    )
    assert (response.status_code, response.json()["code"]) == (400, "tier_period_invalid")
