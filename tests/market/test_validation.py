"""Day checks before storing: whole days across DST, overlaps, gaps, limits."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tariffconnect.market.feeds.base import PricePoint
from tariffconnect.market.validation import check, day_length

BRUSSELS = ZoneInfo("Europe/Brussels")


def day_of(
    day: date, minutes: int, *, value: str = "0.1", currency: str = "EUR"
) -> list[PricePoint]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=BRUSSELS).astimezone(UTC)
    count = int(day_length(day, BRUSSELS) / timedelta(minutes=minutes))
    step = timedelta(minutes=minutes)
    return [PricePoint(start + n * step, minutes, Decimal(value), currency) for n in range(count)]


def test_days_of_23_24_and_25_hours_are_whole():
    spring, normal, autumn = date(2026, 3, 29), date(2026, 6, 1), date(2026, 10, 25)
    assert [len(day_of(d, 15)) for d in (spring, normal, autumn)] == [92, 96, 100]
    points = day_of(spring, 15) + day_of(normal, 60) + day_of(autumn, 15)
    checked = check(points, zone=BRUSSELS, whole_days=True)
    assert sorted(checked.days) == [spring, normal, autumn]
    assert checked.rejected == {}
    assert len(checked.days[autumn]) == 100


def test_a_day_short_of_intervals_is_rejected_and_the_others_kept():
    good, short = date(2026, 6, 1), date(2026, 6, 2)
    points = day_of(good, 15) + day_of(short, 15)[:-1]
    checked = check(points, zone=BRUSSELS, whole_days=True)
    assert list(checked.days) == [good]
    assert checked.rejected == {short: "2026-06-02: 95 intervals of 15 minutes, not the day's 96"}


def test_a_partial_day_is_fine_for_a_retail_series():
    points = day_of(date(2026, 6, 2), 30)[46:]  # 23:00 to midnight
    checked = check(points, zone=BRUSSELS, whole_days=False)
    assert len(checked.days[date(2026, 6, 2)]) == 2


def test_repeated_and_overlapping_intervals_are_rejected():
    day = date(2026, 6, 1)
    points = day_of(day, 60)
    repeated = check([*points, points[5]], zone=BRUSSELS, whole_days=True)
    at = "2026-06-01T03:00:00+00:00"  # the sixth hour of the local day (CEST)
    assert repeated.rejected == {day: f"2026-06-01: intervals overlap or repeat at {at}"}
    quarter = PricePoint(points[3].start + timedelta(minutes=15), 15, Decimal("0.1"), "EUR")
    mixed = check([*points, quarter], zone=BRUSSELS, whole_days=False)
    assert mixed.rejected == {day: "2026-06-01: mixed resolutions [15, 60]"}


def test_a_gap_is_rejected():
    day = date(2026, 6, 1)
    points = day_of(day, 60)
    checked = check(points[:4] + points[5:], zone=BRUSSELS, whole_days=False)
    assert checked.rejected == {day: "2026-06-01: a gap at 2026-06-01T02:00:00+00:00"}


def test_the_sdac_limits_bound_euro_prices_and_negative_prices_are_real():
    day = date(2026, 6, 1)
    lowest = check(day_of(day, 60, value="-0.5"), zone=BRUSSELS, whole_days=True)
    highest = check(day_of(day, 60, value="4"), zone=BRUSSELS, whole_days=True)
    assert lowest.rejected == highest.rejected == {}
    beyond = check(day_of(day, 60, value="4.00001"), zone=BRUSSELS, whole_days=True)
    assert beyond.rejected == {
        day: "2026-06-01: a price of 4.00001 EUR/kWh, outside the SDAC limits"
    }
    retail = check(day_of(day, 60, value="5", currency="GBP"), zone=BRUSSELS, whole_days=True)
    assert retail.rejected == {}


def test_an_unknown_resolution_is_rejected():
    day = date(2026, 6, 1)
    start = datetime(2026, 5, 31, 22, tzinfo=UTC)
    checked = check([PricePoint(start, 20, Decimal("0.1"), "EUR")], zone=BRUSSELS, whole_days=False)
    assert checked.rejected == {day: "2026-06-01: intervals of [20] minutes"}
