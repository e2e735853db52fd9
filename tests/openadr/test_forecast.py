"""Events of a MARKET tariff whose 48 hours run past the published prices: the published
intervals carry the price alone, the forecast ones their confidence too (PRICE_CONFIDENCE),
and a new market day replaces the forecast on the next poll.

The market tables are shared by the whole test session: these tests own the shipped
Yorkshire source in 2041, which no other test uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.market import stored
from tests.openadr.support import freeze, make_client, make_location, token
from tests.prices.test_prices_api import connect
from tests.tariffs.support import tariff_body, window

YORKSHIRE = "mrs_2632d9296fbc9c7793c455f5"
LONDON = ZoneInfo("Europe/London")
HALF_HOUR = timedelta(minutes=30)
# Local days up to Sunday 2041-06-23 (BST) are published: until 2041-06-23T23:00Z.
PUBLISHED_END = datetime(2041, 6, 24, tzinfo=LONDON)
NOW = datetime(2041, 6, 23, 21, 5, tzinfo=UTC)


def publish(database, start: datetime, end: datetime, offset: Decimal = Decimal(0)) -> None:
    """Each half hour from `start` to `end` priced at its number in the local day / 1000."""
    prices, moment = [], start
    while moment < end:
        local = moment.astimezone(LONDON)
        prices.append(Decimal(local.hour * 2 + local.minute // 30) / 1000 + offset)
        moment += HALF_HOUR
    stored.publish(database, YORKSHIRE, start.astimezone(UTC), prices, minutes=30)


def test_forecast_intervals_carry_their_confidence_and_a_new_day_replaces_them(
    client, tenant, database, monkeypatch
):
    publish(database, PUBLISHED_END - timedelta(days=7), PUBLISHED_END)
    location = make_location(client, tenant)
    surcharge = window("00:00:00", "00:00:00", None, surcharge_fixed=0.1, surcharge_percentage=0)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    body = tariff_body(location["id"], schedule, market_rates=True, market_source_id=YORKSHIRE)
    connect(client, tenant, body)
    freeze(monkeypatch, NOW)
    bearer = token(client, make_client(database, location["id"]))

    def poll() -> list[tuple[str, str, list]]:
        [event] = client.get("/openadr/3.0/events", headers=bearer).json()
        return [
            (
                i["intervalPeriod"]["start"],
                i["intervalPeriod"]["duration"],
                [(p["type"], p["values"]) for p in i["payloads"]],
            )
            for i in event["intervals"]
        ]

    found = poll()
    assert len(found) == 96  # 48 hours of half hours
    assert found[:6] == [
        # Sunday's last published half hours (local 22:00 to midnight): the price alone.
        ("2041-06-23T21:00:00Z", "PT30M", [("PRICE", [0.144])]),
        ("2041-06-23T21:30:00Z", "PT30M", [("PRICE", [0.145])]),
        ("2041-06-23T22:00:00Z", "PT30M", [("PRICE", [0.146])]),
        ("2041-06-23T22:30:00Z", "PT30M", [("PRICE", [0.147])]),
        # Monday forecast from the Monday published, on the first day: confidence 0.9.
        ("2041-06-23T23:00:00Z", "PT30M", [("PRICE", [0.1]), ("PRICE_CONFIDENCE", [0.9])]),
        ("2041-06-23T23:30:00Z", "PT30M", [("PRICE", [0.101]), ("PRICE_CONFIDENCE", [0.9])]),
    ]
    assert all(len(payloads) == 2 for _, _, payloads in found[4:])
    # The next market day (Monday, each price 0.5 up) is published: the next poll has it.
    publish(database, PUBLISHED_END, PUBLISHED_END + timedelta(days=1), offset=Decimal("0.5"))
    found = poll()
    assert found[4:6] == [
        ("2041-06-23T23:00:00Z", "PT30M", [("PRICE", [0.6])]),
        ("2041-06-23T23:30:00Z", "PT30M", [("PRICE", [0.601])]),
    ]
    assert [len(p) for _, _, p in found] == [1] * 52 + [2] * 44
