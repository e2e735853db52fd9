"""The price engine around DST changes, midnight, 29 February and public holidays: exact
intervals, worked out by hand from each zone's rules (the UTC instants are in the comments)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tariffconnect.prices.engine import Interval, MarketPrices, NoPriceData, price_intervals
from tariffconnect.tariffs.schedule import Schedule, ScheduleEntry, validate_schedule

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")


def w(start: str, end: str, fixed: Any, **rate: Any) -> dict[str, Any]:
    return {"valid_from": start, "valid_to": end, "rate": [{"fixed": fixed, **rate}]}


def day(*hours: dict[str, Any], days: tuple[str, ...] = ("All",)) -> dict[str, Any]:
    return {"days": list(days), "hours": list(hours)}


def schedule(*rules: dict[str, Any], months=("All",), extra=(), market=False) -> Schedule:
    entries = [{"months": list(months), "days_and_hours": list(rules)}, *extra]
    parsed = [ScheduleEntry.model_validate(e) for e in entries]
    return validate_schedule(parsed, market_rates=market)


def window(a: str, b: str, price: float) -> Schedule:
    """`price` from a to b local time, 0.30 the rest of the day."""
    return schedule(day(w(a, b, price), w(b, a, 0.30)))


def sunday(price: float) -> Schedule:
    """Sundays at `price`, other days 0.20, all day long."""
    return schedule(
        day(w("00:00:00", "00:00:00", price), days=("Sun",)), day(w("00:00:00", "00:00:00", 0.20))
    )


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run(tariff: Schedule | list, start: str, end: str, zone: ZoneInfo, holidays=frozenset()):
    tariffs = tariff if isinstance(tariff, list) else [(tariff, None)]
    found = price_intervals(tariffs, start=t(start), end=t(end), zone=zone, holidays=holidays)
    return [(i.start, i.end, i.value) for i in found]


def expect(*rows: tuple[str, str, str]) -> list[tuple[datetime, datetime, Decimal]]:
    return [(t(a), t(b), Decimal(v)) for a, b, v in rows]


# Europe/London: GMT -> BST at 2026-03-29 01:00Z, BST -> GMT at 2026-10-25 01:00Z.


def test_london_spring_forward_day_lasts_23_hours():
    got = run(sunday(0.15), "2026-03-28T00:00Z", "2026-03-31T00:00Z", LONDON)
    assert got == expect(
        ("2026-03-28T00:00Z", "2026-03-29T00:00Z", "0.20"),
        ("2026-03-29T00:00Z", "2026-03-29T23:00Z", "0.15"),  # 00:00 GMT to 00:00 BST
        ("2026-03-29T23:00Z", "2026-03-31T00:00Z", "0.20"),
    )
    assert got[1][1] - got[1][0] == timedelta(hours=23)


def test_london_fall_back_day_lasts_25_hours():
    got = run(sunday(0.15), "2026-10-24T00:00Z", "2026-10-27T00:00Z", LONDON)
    assert got == expect(
        ("2026-10-24T00:00Z", "2026-10-24T23:00Z", "0.20"),
        ("2026-10-24T23:00Z", "2026-10-26T00:00Z", "0.15"),  # 00:00 BST to 00:00 GMT
        ("2026-10-26T00:00Z", "2026-10-27T00:00Z", "0.20"),
    )
    assert got[1][1] - got[1][0] == timedelta(hours=25)


def test_london_repeated_hour_is_priced_by_the_wall_clock_both_times():
    # 01:00-02:00 local happens at 00:00Z-01:00Z (BST), then again at 01:00Z-02:00Z (GMT).
    assert run(
        window("01:00:00", "02:00:00", 0.10), "2026-10-24T23:00Z", "2026-10-26T00:00Z", LONDON
    ) == expect(
        ("2026-10-24T23:00Z", "2026-10-25T00:00Z", "0.30"),
        ("2026-10-25T00:00Z", "2026-10-25T02:00Z", "0.10"),
        ("2026-10-25T02:00Z", "2026-10-26T00:00Z", "0.30"),
    )
    # 01:30-02:00 local: twice, with the first 02:00-and-after (01:00-01:30 GMT) in between.
    assert run(
        window("01:30:00", "02:00:00", 0.10), "2026-10-25T00:00Z", "2026-10-25T03:00Z", LONDON
    ) == expect(
        ("2026-10-25T00:00Z", "2026-10-25T00:30Z", "0.30"),
        ("2026-10-25T00:30Z", "2026-10-25T01:00Z", "0.10"),
        ("2026-10-25T01:00Z", "2026-10-25T01:30Z", "0.30"),
        ("2026-10-25T01:30Z", "2026-10-25T02:00Z", "0.10"),
        ("2026-10-25T02:00Z", "2026-10-25T03:00Z", "0.30"),
    )


def test_london_skipped_hour_does_not_exist():
    # 01:00-02:00 local does not happen on 29 March; it does the days around it.
    assert run(
        window("01:00:00", "02:00:00", 0.10), "2026-03-28T00:00Z", "2026-03-30T03:00Z", LONDON
    ) == expect(
        ("2026-03-28T00:00Z", "2026-03-28T01:00Z", "0.30"),
        ("2026-03-28T01:00Z", "2026-03-28T02:00Z", "0.10"),
        ("2026-03-28T02:00Z", "2026-03-30T00:00Z", "0.30"),
        ("2026-03-30T00:00Z", "2026-03-30T01:00Z", "0.10"),  # 01:00-02:00 BST
        ("2026-03-30T01:00Z", "2026-03-30T03:00Z", "0.30"),
    )
    # 00:30-01:30 local: only its first half exists that night.
    assert run(
        window("00:30:00", "01:30:00", 0.10), "2026-03-29T00:00Z", "2026-03-29T03:00Z", LONDON
    ) == expect(
        ("2026-03-29T00:00Z", "2026-03-29T00:30Z", "0.30"),
        ("2026-03-29T00:30Z", "2026-03-29T01:00Z", "0.10"),
        ("2026-03-29T01:00Z", "2026-03-29T03:00Z", "0.30"),
    )


# America/Los_Angeles: PST -> PDT at 2026-03-08 10:00Z, PDT -> PST at 2026-11-01 09:00Z.


def test_los_angeles_spring_forward():
    assert run(
        window("00:00:00", "02:30:00", 0.10), "2026-03-08T08:00Z", "2026-03-09T12:00Z", LOS_ANGELES
    ) == expect(
        ("2026-03-08T08:00Z", "2026-03-08T10:00Z", "0.10"),  # 00:00-02:00 PST, then 03:00 PDT
        ("2026-03-08T10:00Z", "2026-03-09T07:00Z", "0.30"),
        ("2026-03-09T07:00Z", "2026-03-09T09:30Z", "0.10"),  # 00:00-02:30 PDT
        ("2026-03-09T09:30Z", "2026-03-09T12:00Z", "0.30"),
    )


def test_los_angeles_fall_back():
    got = run(sunday(0.15), "2026-11-01T00:00Z", "2026-11-03T00:00Z", LOS_ANGELES)
    assert got == expect(
        ("2026-11-01T00:00Z", "2026-11-01T07:00Z", "0.20"),
        ("2026-11-01T07:00Z", "2026-11-02T08:00Z", "0.15"),  # 25 hours
        ("2026-11-02T08:00Z", "2026-11-03T00:00Z", "0.20"),
    )
    assert run(
        window("01:00:00", "02:00:00", 0.10), "2026-11-01T07:00Z", "2026-11-01T12:00Z", LOS_ANGELES
    ) == expect(
        ("2026-11-01T07:00Z", "2026-11-01T08:00Z", "0.30"),
        ("2026-11-01T08:00Z", "2026-11-01T10:00Z", "0.10"),  # 01:00 PDT .. 02:00 PST
        ("2026-11-01T10:00Z", "2026-11-01T12:00Z", "0.30"),
    )


# Australia/Sydney: AEDT (+11) -> AEST (+10) at 2026-04-04 16:00Z (03:00 -> 02:00 on 5 April),
# AEST -> AEDT at 2026-10-03 16:00Z (02:00 -> 03:00 on 4 October).


def test_sydney_fall_back_in_april():
    got = run(sunday(0.15), "2026-04-04T00:00Z", "2026-04-06T00:00Z", SYDNEY)
    assert got == expect(
        ("2026-04-04T00:00Z", "2026-04-04T13:00Z", "0.20"),
        ("2026-04-04T13:00Z", "2026-04-05T14:00Z", "0.15"),  # 25 hours
        ("2026-04-05T14:00Z", "2026-04-06T00:00Z", "0.20"),
    )
    assert run(
        window("02:00:00", "03:00:00", 0.10), "2026-04-04T14:00Z", "2026-04-04T18:00Z", SYDNEY
    ) == expect(
        ("2026-04-04T14:00Z", "2026-04-04T15:00Z", "0.30"),
        ("2026-04-04T15:00Z", "2026-04-04T17:00Z", "0.10"),  # 02:00 AEDT .. 03:00 AEST
        ("2026-04-04T17:00Z", "2026-04-04T18:00Z", "0.30"),
    )


def test_sydney_spring_forward_in_october():
    got = run(sunday(0.15), "2026-10-03T00:00Z", "2026-10-05T00:00Z", SYDNEY)
    assert got == expect(
        ("2026-10-03T00:00Z", "2026-10-03T14:00Z", "0.20"),
        ("2026-10-03T14:00Z", "2026-10-04T13:00Z", "0.15"),  # 23 hours
        ("2026-10-04T13:00Z", "2026-10-05T00:00Z", "0.20"),
    )


# Europe/Berlin: CET -> CEST at 2026-03-29 01:00Z, CEST -> CET at 2026-10-25 01:00Z.


def test_berlin_night_window_across_midnight_is_7_then_9_hours_on_change_nights():
    night = window("22:00:00", "06:00:00", 0.10)
    assert run(night, "2026-03-28T12:00Z", "2026-03-29T12:00Z", BERLIN) == expect(
        ("2026-03-28T12:00Z", "2026-03-28T21:00Z", "0.30"),
        ("2026-03-28T21:00Z", "2026-03-29T04:00Z", "0.10"),  # 22:00 CET .. 06:00 CEST
        ("2026-03-29T04:00Z", "2026-03-29T12:00Z", "0.30"),
    )
    assert run(night, "2026-10-24T12:00Z", "2026-10-25T12:00Z", BERLIN) == expect(
        ("2026-10-24T12:00Z", "2026-10-24T20:00Z", "0.30"),
        ("2026-10-24T20:00Z", "2026-10-25T05:00Z", "0.10"),  # 22:00 CEST .. 06:00 CET
        ("2026-10-25T05:00Z", "2026-10-25T12:00Z", "0.30"),
    )


# America/Santiago changes at midnight: -03 -> -04 at 2026-04-05 03:00Z (Saturday 24:00 becomes
# 23:00 again), -04 -> -03 at 2026-09-06 04:00Z (Sunday starts at 01:00).


def test_santiago_changes_at_midnight():
    weekend = schedule(
        day(w("00:00:00", "00:00:00", 0.25), days=("Sat",)),
        day(w("00:00:00", "00:00:00", 0.15), days=("Sun",)),
        day(w("00:00:00", "00:00:00", 0.20)),
    )
    santiago = ZoneInfo("America/Santiago")
    assert run(weekend, "2026-04-04T00:00Z", "2026-04-06T12:00Z", santiago) == expect(
        ("2026-04-04T00:00Z", "2026-04-04T03:00Z", "0.20"),
        ("2026-04-04T03:00Z", "2026-04-05T04:00Z", "0.25"),  # a 25-hour Saturday
        ("2026-04-05T04:00Z", "2026-04-06T04:00Z", "0.15"),
        ("2026-04-06T04:00Z", "2026-04-06T12:00Z", "0.20"),
    )
    assert run(weekend, "2026-09-05T00:00Z", "2026-09-07T12:00Z", santiago) == expect(
        ("2026-09-05T00:00Z", "2026-09-05T04:00Z", "0.20"),
        ("2026-09-05T04:00Z", "2026-09-06T04:00Z", "0.25"),
        ("2026-09-06T04:00Z", "2026-09-07T03:00Z", "0.15"),  # 01:00 to 24:00: 23 hours
        ("2026-09-07T03:00Z", "2026-09-07T12:00Z", "0.20"),
    )


def test_window_across_midnight_merges_over_the_day_boundary():
    # 23:30-05:30 BST is 22:30Z-04:30Z.
    got = run(
        window("23:30:00", "05:30:00", 0.10), "2026-06-01T00:00Z", "2026-06-03T00:00Z", LONDON
    )
    assert got == expect(
        ("2026-06-01T00:00Z", "2026-06-01T04:30Z", "0.10"),
        ("2026-06-01T04:30Z", "2026-06-01T22:30Z", "0.30"),
        ("2026-06-01T22:30Z", "2026-06-02T04:30Z", "0.10"),
        ("2026-06-02T04:30Z", "2026-06-02T22:30Z", "0.30"),
        ("2026-06-02T22:30Z", "2026-06-03T00:00Z", "0.10"),
    )


def test_29_february_2028():
    leap = {
        "months": ["Feb"],
        "dates": [29],
        "days_and_hours": [day(w("00:00:00", "00:00:00", 0.9))],
    }
    tariff = schedule(day(w("00:00:00", "00:00:00", 0.1)), extra=[leap])
    assert run(tariff, "2028-02-28T12:00Z", "2028-03-01T12:00Z", LONDON) == expect(
        ("2028-02-28T12:00Z", "2028-02-29T00:00Z", "0.1"),
        ("2028-02-29T00:00Z", "2028-03-01T00:00Z", "0.9"),
        ("2028-03-01T00:00Z", "2028-03-01T12:00Z", "0.1"),
    )
    # In Sydney (AEDT, +11) the local 29th runs from 13:00Z on the 28th.
    assert run(tariff, "2028-02-28T12:00Z", "2028-03-01T12:00Z", SYDNEY) == expect(
        ("2028-02-28T12:00Z", "2028-02-28T13:00Z", "0.1"),
        ("2028-02-28T13:00Z", "2028-02-29T13:00Z", "0.9"),
        ("2028-02-29T13:00Z", "2028-03-01T12:00Z", "0.1"),
    )


def test_public_holiday_mid_week_switches_to_the_holidays_rule():
    tariff = schedule(
        day(w("00:00:00", "07:00:00", 0.10), w("07:00:00", "00:00:00", 0.30), days=("Weekdays",)),
        day(w("00:00:00", "00:00:00", 0.20), days=("Weekend",)),
        day(w("00:00:00", "00:00:00", 0.15), days=("Holidays",)),
    )
    christmas = frozenset({date(2026, 12, 25)})  # a Friday
    assert run(tariff, "2026-12-24T00:00Z", "2026-12-27T00:00Z", LONDON, christmas) == expect(
        ("2026-12-24T00:00Z", "2026-12-24T07:00Z", "0.10"),
        ("2026-12-24T07:00Z", "2026-12-25T00:00Z", "0.30"),
        ("2026-12-25T00:00Z", "2026-12-26T00:00Z", "0.15"),
        ("2026-12-26T00:00Z", "2026-12-27T00:00Z", "0.20"),
    )
    assert run(tariff, "2026-12-24T00:00Z", "2026-12-27T00:00Z", LONDON) == expect(
        ("2026-12-24T00:00Z", "2026-12-24T07:00Z", "0.10"),
        ("2026-12-24T07:00Z", "2026-12-25T00:00Z", "0.30"),
        ("2026-12-25T00:00Z", "2026-12-25T07:00Z", "0.10"),
        ("2026-12-25T07:00Z", "2026-12-26T00:00Z", "0.30"),
        ("2026-12-26T00:00Z", "2026-12-27T00:00Z", "0.20"),
    )


def test_tariffs_are_summed_through_the_fall_back_night():
    network = window("01:00:00", "02:00:00", 0.05)  # 0.05 in the hour, 0.30 outside
    energy = sunday(0.15)
    got = run([(energy, None), (network, None)], "2026-10-24T22:00Z", "2026-10-25T03:00Z", LONDON)
    assert got == expect(
        ("2026-10-24T22:00Z", "2026-10-24T23:00Z", "0.50"),  # Saturday 23:00 BST
        ("2026-10-24T23:00Z", "2026-10-25T00:00Z", "0.45"),
        ("2026-10-25T00:00Z", "2026-10-25T02:00Z", "0.20"),  # the hour, twice
        ("2026-10-25T02:00Z", "2026-10-25T03:00Z", "0.45"),
    )


def test_market_surcharges_follow_the_wall_clock_through_the_repeated_hour():
    rule = day(
        w("01:00:00", "02:00:00", None, surcharge_fixed=0.10),
        w("02:00:00", "01:00:00", None, surcharge_percentage=0.5),
    )
    tariff = schedule(rule, market=True)
    start = t("2026-10-24T23:00Z")
    hourly = [Decimal(p) for p in ("0.2", "0.2", "0.4", "0.2")]
    prices = MarketPrices.from_series(start, timedelta(hours=1), hourly)
    got = run([(tariff, prices)], "2026-10-24T23:00Z", "2026-10-25T03:00Z", LONDON)
    assert got == expect(
        # 00:00 BST: 0.2 * 1.5, then 01:00 BST: 0.2 + 0.10; equal values, so one interval.
        ("2026-10-24T23:00Z", "2026-10-25T01:00Z", "0.3"),
        ("2026-10-25T01:00Z", "2026-10-25T02:00Z", "0.5"),  # 01:00 GMT: 0.4 + 0.10
        ("2026-10-25T02:00Z", "2026-10-25T03:00Z", "0.3"),  # 02:00 GMT: 0.2 * 1.5
    )
    with pytest.raises(NoPriceData) as caught:
        run([(tariff, prices)], "2026-10-24T23:00Z", "2026-10-25T03:30Z", LONDON)
    assert caught.value.moment == t("2026-10-25T03:00Z")


def test_window_edges_are_clipped_to_the_microsecond():
    got = price_intervals(
        [(sunday(0.15), None)],
        start=datetime(2026, 3, 29, 5, 0, 0, 7, UTC),
        end=datetime(2026, 3, 29, 6, 0, 0, 1, UTC),
        zone=LONDON,
        holidays=frozenset(),
    )
    assert got == [
        Interval(
            datetime(2026, 3, 29, 5, 0, 0, 7, UTC),
            datetime(2026, 3, 29, 6, 0, 0, 1, UTC),
            Decimal("0.15"),
            Decimal(1),
        )
    ]
    # Any aware start works; intervals come back in UTC.
    local = datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 00:00Z
    assert price_intervals(
        [(sunday(0.15), None)],
        start=local,
        end=local + timedelta(hours=1),
        zone=LONDON,
        holidays=(),
    )[0].start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)


def test_values_rounded_to_decimals_before_merging():
    tariff = schedule(day(w("00:00:00", "00:00:00", None, surcharge_percentage=-0.5)), market=True)
    start = t("2026-06-01T00:00Z")
    quarter = [Decimal(p) for p in ("0.12345", "0.12346", "0.12348")]
    prices = MarketPrices.from_series(start, timedelta(minutes=15), quarter)
    end = start + timedelta(minutes=45)
    exact = price_intervals([(tariff, prices)], start=start, end=end, zone=LONDON, holidays=())
    assert [i.value for i in exact] == [Decimal("0.061725"), Decimal("0.06173"), Decimal("0.06174")]
    rounded = price_intervals(
        [(tariff, prices)], start=start, end=end, zone=LONDON, holidays=(), decimals=5
    )
    assert [(i.start, i.end, i.value) for i in rounded] == expect(
        ("2026-06-01T00:00Z", "2026-06-01T00:30Z", "0.06173"),  # 0.061725 rounds half up
        ("2026-06-01T00:30Z", "2026-06-01T00:45Z", "0.06174"),
    )
