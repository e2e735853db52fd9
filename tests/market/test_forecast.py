"""market/forecast.py on small synthetic histories: weekday and slot medians, scaling to the
latest day (ratio, or a shift near zero), the horizon's confidence, too little history, a slot
without history, and DST weeks in Europe/Berlin."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tariffconnect.market.forecast import forecast, horizon_confidence

BERLIN = ZoneInfo("Europe/Berlin")
SIX_HOURS = timedelta(hours=6)
HOUR = timedelta(hours=1)
D = Decimal
# Four weeks, Monday 2032-05-31 to Sunday 2032-06-27 (CEST: local midnight is 22:00 UTC).
FIRST, LAST = date(2032, 5, 31), date(2032, 6, 27)
PUBLISHED_END = datetime(2032, 6, 27, 22, tzinfo=UTC)
MONDAY_END = PUBLISHED_END + timedelta(days=1)
Price = Callable[[datetime], Decimal | None]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BERLIN).astimezone(UTC)


def history(price: Price, *, first: date = FIRST, last: date = LAST, step: timedelta = SIX_HOURS):
    """Published intervals of `step` over the local days `first` to `last`; `price` is given
    the local start (None: not published)."""
    found = []
    moment, stop = midnight(first), midnight(last + timedelta(days=1))
    while moment < stop:
        value = price(moment.astimezone(BERLIN))
        if value is not None:
            found.append((moment, moment + step, value))
        moment += step
    return found


def week(local: datetime) -> int:
    return (local.date() - FIRST).days // 7


def slot(local: datetime) -> int:
    return local.hour // 6


def by_weekday(table: dict[int, list[list[str]]], default: str = "0.1") -> Price:
    """Prices by weekday: table[weekday][slot][week]."""

    def price(local: datetime) -> Decimal:
        rows = table.get(local.weekday())
        return D(rows[slot(local)][week(local)]) if rows else D(default)

    return price


def flat(local: datetime) -> Decimal:
    return D("0.1")


def prices(found) -> list[tuple[datetime, Decimal, Decimal]]:
    return [(start, value, confidence) for start, _, value, confidence in found]


def monday(*values: str, confidence: str = "0.9") -> list[tuple[datetime, Decimal, Decimal]]:
    """The forecast Monday 2032-06-28, one value per 6-hour slot from local midnight."""
    return [(PUBLISHED_END + i * SIX_HOURS, D(v), D(confidence)) for i, v in enumerate(values)]


def forecast_monday(table: dict[int, list[list[str]]]) -> list[tuple[datetime, Decimal, Decimal]]:
    """The forecast for Monday 2032-06-28 from four weeks of prices by weekday."""
    found = forecast(
        history(by_weekday(table)), zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END
    )
    return prices(found)


def test_each_slot_is_the_median_of_its_weekday_and_local_time():
    table = {
        0: [
            ["0.10", "0.30", "0.20", "0.50"],  # median of 4: (0.20 + 0.30) / 2
            ["0.07", "0.01", "0.05", "0.02"],
            ["0.2", "0.2", "0.2", "0.2"],
            ["0.11", "0.13", "0.12", "0.5"],
        ],
        1: [["0.4"] * 4, ["0.5"] * 4, ["0.6"] * 4, ["0.7"] * 4],
    }
    found = forecast(
        history(by_weekday(table)), zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END + HOUR
    )
    # Every Sunday was alike (mean 0.1), so the latest day scales by 1; Tuesday is Tuesday's.
    assert prices(found) == [
        *monday("0.25", "0.035", "0.2", "0.125"),
        (MONDAY_END, D("0.4"), D("0.83")),
    ]
    assert [end - start for start, end, _, _ in found] == [SIX_HOURS] * 5


def test_the_latest_day_scales_the_medians_by_its_ratio_to_its_weekday():
    sundays = [["0.10", "0.10", "0.10", "0.20"]] * 4  # this Sunday at twice the usual
    mondays = [["0.05"] * 4, ["0.10"] * 4, ["0.20"] * 4, ["-0.05"] * 4]
    # Sundays' mean 0.125, this Sunday's 0.2: x 1.6, and a negative price stays negative.
    assert forecast_monday({6: sundays, 0: mondays}) == monday("0.08", "0.16", "0.32", "-0.08")


def test_a_near_zero_mean_shifts_instead_of_dividing():
    sundays = [
        ["-0.05", "-0.05", "-0.05", "0.00"],
        ["0.05", "0.05", "0.05", "0.04"],
        ["-0.05", "-0.05", "-0.05", "0.00"],
        ["0.05", "0.05", "0.05", "0.04"],
    ]
    mondays = [["-0.10"] * 4, ["-0.02"] * 4, ["0.10"] * 4, ["0.30"] * 4]
    # Sundays' mean 0.005 is under a tenth of the mean absolute price (0.0096): a ratio of 4
    # would be noise, so this Sunday's mean 0.02 is matched by adding 0.015.
    assert forecast_monday({6: sundays, 0: mondays}) == monday("-0.085", "-0.005", "0.115", "0.315")


def test_confidence_falls_from_0_9_to_0_5_over_seven_days_and_stops_there():
    found = forecast(
        history(flat), zone=BERLIN, resolution=SIX_HOURS, until=PUBLISHED_END + 30 * 24 * HOUR
    )
    assert found[0][0] == PUBLISHED_END
    assert found[-1][1] == PUBLISHED_END + timedelta(days=7)
    assert [confidence for *_, confidence in found] == [
        D(c) for c in ["0.9", "0.83", "0.77", "0.7", "0.63", "0.57", "0.5"] for _ in range(4)
    ]
    assert {value for _, _, value, _ in found} == {D("0.1")}
    assert horizon_confidence(timedelta(hours=23, minutes=59)) == D("0.9")
    assert horizon_confidence(timedelta(hours=24)) == D("0.83")


def test_the_forecast_stops_at_the_requested_end():
    past = history(flat)
    until = PUBLISHED_END + 3 * HOUR  # inside the first slot, which is given whole
    found = forecast(past, zone=BERLIN, resolution=SIX_HOURS, until=until)
    assert found == [(PUBLISHED_END, PUBLISHED_END + SIX_HOURS, D("0.1"), D("0.9"))]
    assert forecast(past, zone=BERLIN, resolution=SIX_HOURS, until=PUBLISHED_END) == []


def test_under_seven_days_of_history_gives_no_forecast():
    six = history(flat, first=LAST - timedelta(days=5))
    assert forecast(six, zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END) == []
    assert forecast([], zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END) == []
    mondays = [[value] * 4 for value in ["0.3", "0.4", "0.5", "0.6"]]
    seven = history(by_weekday({0: mondays}), first=date(2032, 6, 21))
    found = forecast(seven, zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END)
    assert prices(found) == monday("0.3", "0.4", "0.5", "0.6")


def test_a_slot_without_history_stops_the_forecast_there():
    def price(local: datetime) -> Decimal | None:
        return None if local.weekday() == 0 and slot(local) == 2 else D("0.1")

    found = forecast(history(price), zone=BERLIN, resolution=SIX_HOURS, until=MONDAY_END)
    assert prices(found) == monday("0.1", "0.1")


def hourly(local: datetime) -> Decimal:
    return D(local.hour) / 100


def test_spring_forward_skips_the_missing_local_hour():
    # Four weeks up to Saturday 2032-03-27; Sunday 28 March has no 02:00 in Berlin.
    past = history(hourly, first=date(2032, 2, 29), last=date(2032, 3, 27), step=HOUR)
    end = datetime(2032, 3, 27, 23, tzinfo=UTC)
    assert past[-1][1] == end
    found = forecast(past, zone=BERLIN, resolution=HOUR, until=midnight(date(2032, 3, 29)))
    assert [start.astimezone(BERLIN).hour for start, *_ in found] == [0, 1, *range(3, 24)]
    assert [value for _, _, value, _ in found] == [D(h) / 100 for h in [0, 1, *range(3, 24)]]
    assert {confidence for *_, confidence in found} == {D("0.9")}


def test_fall_back_prices_the_repeated_hour_twice_alike():
    past = history(hourly, first=date(2032, 10, 3), last=date(2032, 10, 30), step=HOUR)
    found = forecast(past, zone=BERLIN, resolution=HOUR, until=midnight(date(2032, 11, 1)))
    hours = [0, 1, 2, 2, *range(3, 24)]
    assert [start.astimezone(BERLIN).hour for start, *_ in found] == hours
    assert [value for _, _, value, _ in found] == [D(h) / 100 for h in hours]
    # The 25-hour day's last hour starts 24 hours after the published end.
    assert [confidence for *_, confidence in found] == [D("0.9")] * 24 + [D("0.83")]


def test_a_repeated_hour_in_the_history_counts_once_for_its_day():
    def price(local: datetime) -> Decimal:
        if local.weekday() == 6 and local.hour == 2:
            if local.date() == date(2032, 10, 31):
                return D("0.10") if local.fold else D("0.30")  # a day's value of 0.20
            return {10: D("0.05"), 17: D("0.06"), 24: D("0.90")}[local.day]
        return D("0.1")

    past = history(price, first=date(2032, 10, 10), last=date(2032, 11, 6), step=HOUR)
    until = midnight(date(2032, 11, 7)) + 3 * HOUR
    found = forecast(past, zone=BERLIN, resolution=HOUR, until=until)
    # Sundays' 02:00: 0.05, 0.06, 0.20, 0.90, median 0.13 (0.10 if both readings counted).
    assert [value for _, _, value, _ in found] == [D("0.1"), D("0.1"), D("0.13")]
