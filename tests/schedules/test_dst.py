"""Schedules on London's DST days (2026-03-29, 23 hours; 2026-10-25, 25 hours): time-of-use
windows keep their wall-clock meaning, and 15- and 30-minute market prices over the whole
local day give what a minute-by-minute brute force gives."""

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.schedules.support import connect, connect_market, make_location, post, windows
from tests.tariffs.support import tariff_body, two_rate

# (local day's start, its end), each in its own offset; both days start at 00:00 UTC+0/+1.
DAYS = {
    "spring": ("2026-03-29T00:00:00+00:00", "2026-03-30T00:00:00+01:00"),
    "autumn": ("2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00+00:00"),
}
MINUTE = timedelta(minutes=1)


@pytest.fixture
def location(client, tenant):
    return make_location(client, tenant)


def test_spring_tou_cheap_night_is_six_hours(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    window = {"start_time": "2026-03-28T12:00:00Z", "end_time": "2026-03-29T12:00:00+01:00"}
    body = post(
        client,
        tenant,
        f"/schedules/limit/{location['id']}",
        window | {"segment": "LOW", "relative": 0.01},
    )
    # 00:30 GMT to 07:30 BST: 00:30Z-06:30Z, in the end time's offset.
    assert body["duration"] == 360
    assert windows(body) == [("2026-03-29T01:30:00+01:00", "2026-03-29T07:30:00+01:00", 0.1, 1.0)]


def test_autumn_tou_cheap_night_is_eight_hours(client, tenant, location):
    connect(client, tenant, tariff_body(location["id"], two_rate(0.1, 0.3)))
    window = {"start_time": "2026-10-24T12:00:00+01:00", "end_time": "2026-10-25T12:00:00Z"}
    path = f"/schedules/duration/{location['id']}"
    continuous = post(
        client, tenant, path, window | {"segment": "LOW", "duration": 480, "continuous": True}
    )
    # 00:30 BST to 07:30 GMT: 23:30Z-07:30Z, the repeated hour included.
    assert windows(continuous) == [("2026-10-24T23:30:00Z", "2026-10-25T07:30:00Z", 0.1, 1.0)]
    split = post(client, tenant, path, window | {"segment": "LOW", "duration": 500})
    assert windows(split) == [
        ("2026-10-24T11:00:00Z", "2026-10-24T11:20:00Z", 0.3, 1.0),
        ("2026-10-24T23:30:00Z", "2026-10-25T07:30:00Z", 0.1, 1.0),
    ]


def test_autumn_30_minute_prices_over_the_repeated_hour(client, tenant, database, location):
    halves = ["0.20", "0.05", "0.30", "0.04", "0.25", "0.22", "0.21", "0.50"]
    connect_market(
        client, tenant, database, location["id"], "2026-10-25T00:00:00+00:00", halves, minutes=30
    )
    # 01:00 BST is 00:00Z; 01:00 GMT, an hour later, is 01:00Z.
    window = {"start_time": "2026-10-25T01:00:00+01:00", "end_time": "2026-10-25T04:00:00Z"}
    path = f"/schedules/duration/{location['id']}"
    split = post(client, tenant, path, window | {"segment": "LOW", "duration": 45})
    assert windows(split) == [
        ("2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z", 0.05, 1.0),
        ("2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z", 0.04, 1.0),
    ]
    request = window | {"segment": "LOW", "duration": 45, "continuous": True}
    assert windows(post(client, tenant, path, request)) == [
        ("2026-10-25T00:15:00Z", "2026-10-25T01:00:00Z", 0.1, 1.0)
    ]


def test_spring_amount_across_the_change(client, tenant, database, location):
    quarters = ["0.30", "0.28", "0.26", "0.05", "0.06", "0.27", "0.29", "0.31"]
    connect_market(client, tenant, database, location["id"], "2026-03-29T00:00:00+00:00", quarters)
    response = client.post("/devices", json={"reference_id": "CAR", "type": "EV_CHARGER"},
                           headers=tenant.test)  # fmt: skip
    request = {
        "max_power": 4,
        "devices": [
            {
                "device_id": response.json()["id"],
                "start_time": "2026-03-29T00:00:00Z",
                "end_time": "2026-03-29T03:00:00+01:00",
                "energy": 2,
            }
        ],
    }
    (entry,) = post(client, tenant, f"/schedules/amount/{location['id']}", request)["data"]
    # 00:45Z-01:15Z, either side of 01:00 GMT becoming 02:00 BST.
    assert entry["start_time"] == "2026-03-29T01:00:00+01:00"
    assert entry["schedule"] == [
        {
            "start_time": "2026-03-29T01:45:00+01:00",
            "end_time": "2026-03-29T02:15:00+01:00",
            "power": {"units": "KW", "value": 4.0},
        }
    ]


def market_day(day: str, minutes: int, seed: int) -> tuple[datetime, list[str]]:
    """Prices (a few levels, so ties happen) covering the local day, from its UTC start."""
    start, end = (datetime.fromisoformat(t) for t in DAYS[day])
    count = int((end - start) / timedelta(minutes=minutes))
    rng = random.Random(seed)
    return start.astimezone(UTC), [
        rng.choice(["0.08", "0.12", "0.15", "0.3"]) for _ in range(count)
    ]


def per_minute(prices: list[str], minutes: int) -> list[Decimal]:
    return [Decimal(p) for p in prices for _ in range(minutes)]


def runs(minutes: list[int], first: datetime, values: list[Decimal]):
    """Chosen minute indexes as windows (UTC text), with their average price."""
    found, run = [], []
    for m in sorted(minutes):
        if run and m != run[-1] + 1:
            found.append(run)
            run = []
        run.append(m)
    if run:
        found.append(run)

    def text(m):
        return (first + m * MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ")

    return [
        (
            text(r[0]),
            text(r[-1] + 1),
            float((sum(values[m] for m in r) / len(r)).quantize(Decimal("0.00001"), ROUND_HALF_UP)),
            1.0,
        )
        for r in found
    ]


@pytest.mark.parametrize("day", sorted(DAYS))
@pytest.mark.parametrize("minutes", [15, 30])
def test_market_day_matches_minute_brute_force(client, tenant, database, location, day, minutes):
    first, prices = market_day(day, minutes, seed=minutes)
    connect_market(
        client, tenant, database, location["id"], first.isoformat(), prices, minutes=minutes
    )
    values = per_minute(prices, minutes)
    end = (first + len(values) * MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = {"start_time": DAYS[day][0], "end_time": end}  # the local day, answered in UTC
    path = f"/schedules/duration/{location['id']}"
    for segment, sign in (("LOW", 1), ("HIGH", -1)):
        need = 200
        order = sorted(range(len(values)), key=lambda m: (sign * values[m], m))[:need]
        body = post(client, tenant, path, window | {"segment": segment, "duration": need})
        assert windows(body) == runs(order, first, values)
        sums = [sum(values[s : s + need]) for s in range(len(values) - need + 1)]
        best = min(range(len(sums)), key=lambda s: (sign * sums[s], s))
        request = window | {"segment": segment, "duration": need, "continuous": True}
        body = post(client, tenant, path, request)
        assert windows(body) == runs(list(range(best, best + need)), first, values)
    low, high = min(values), max(values)
    limit = low + Decimal("0.3") * (high - low)
    body = post(
        client,
        tenant,
        f"/schedules/limit/{location['id']}",
        window | {"segment": "LOW", "relative": 0.3},
    )
    chosen = [m for m, v in enumerate(values) if v <= limit]
    assert body["duration"] == len(chosen)
    assert windows(body) == runs(chosen, first, values)
