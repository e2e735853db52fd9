"""The summary chart: the Low / Medium / High rule, the hourly bars, the SVG."""

from datetime import datetime, timedelta, timezone

from tariffconnect.connect.web import chart
from tariffconnect.connect.web.chart import HIGH, LOW, MEDIUM

LONDON_SUMMER = timezone(timedelta(hours=1))


def test_one_price_is_medium():
    assert chart.levels([]) == []
    assert chart.levels([0.25]) == [MEDIUM]
    assert chart.levels([0.25, 0.25, 0.25]) == [MEDIUM, MEDIUM, MEDIUM]


def test_two_prices_the_lower_is_low_the_higher_high():
    assert chart.levels([0.10, 0.30]) == [LOW, HIGH]
    # Distinct prices count, not periods: a night split at midnight is still two prices.
    assert chart.levels([0.10, 0.30, 0.10]) == [LOW, HIGH, LOW]


def test_more_prices_the_nearest_of_lowest_highest_and_mean():
    assert chart.levels([1, 2, 3]) == [LOW, MEDIUM, HIGH]
    # Night 10, day 30, peak 40: the mean (26.67) is nearest to 30.
    assert chart.levels([10, 30, 40, 30, 10]) == [LOW, MEDIUM, HIGH, MEDIUM, LOW]
    assert chart.levels([0.05, 0.06, 0.07, 0.30, 0.31]) == [LOW, LOW, LOW, HIGH, HIGH]


def test_the_mean_wins_a_tie():
    # Mean 2: the price 1 is as near the mean as the lowest.
    assert chart.levels([0, 1, 5]) == [LOW, MEDIUM, HIGH]
    # The same in decimal prices, where float arithmetic would not tie exactly.
    assert chart.levels([0.1, 0.2, 0.6]) == [LOW, MEDIUM, HIGH]


def test_the_mean_is_of_the_distinct_prices():
    # Distinct 1, 2, 10: mean 4.33, so 2 is nearer the lowest. (Over every entry the mean
    # would be 2.67 and 2 would be Medium.)
    assert chart.levels([1, 1, 1, 1, 2, 10]) == [LOW, LOW, LOW, LOW, LOW, HIGH]


def test_negative_prices():
    assert chart.levels([-0.05, 0.10, 0.20]) == [LOW, MEDIUM, HIGH]


def entry(cost, start, end):
    return {"tariff": {"confidence": 1, "cost": cost}, "valid_from": start, "valid_to": end}


def test_periods_are_split_into_hourly_bars_at_clock_hours():
    day = chart.periods(
        [
            entry(0.30, "2026-07-01T07:30:00+01:00", "2026-07-01T09:00:00+01:00"),
            entry(0.10, "2026-07-01T00:00:00+01:00", "2026-07-01T07:30:00+01:00"),
            entry("bad", "2026-07-01T09:00:00+01:00", "2026-07-01T10:00:00+01:00"),
            entry(0.2, "not a time", "2026-07-01T10:00:00+01:00"),
        ]
    )
    assert [(p.start.hour, p.start.minute, p.level) for p in day] == [
        (0, 0, LOW),
        (7, 30, HIGH),
    ]
    bars = chart.hourly(day)
    assert [(b.start.strftime("%H:%M"), b.end.strftime("%H:%M"), b.level) for b in bars] == [
        ("00:00", "01:00", LOW),
        ("01:00", "02:00", LOW),
        ("02:00", "03:00", LOW),
        ("03:00", "04:00", LOW),
        ("04:00", "05:00", LOW),
        ("05:00", "06:00", LOW),
        ("06:00", "07:00", LOW),
        ("07:00", "07:30", LOW),
        ("07:30", "08:00", HIGH),
        ("08:00", "09:00", HIGH),
    ]


def test_periods_are_shown_in_the_locations_zone():
    day = chart.periods([entry(0.1, "2026-07-01T00:00:00Z", "2026-07-01T01:00:00Z")], LONDON_SUMMER)
    assert day[0].start == datetime(2026, 7, 1, 1, 0, tzinfo=LONDON_SUMMER)


def test_the_svg_is_an_image_with_a_title_and_classes_not_styles():
    day = chart.periods(
        [
            entry(0.10, "2026-07-01T00:00:00+01:00", "2026-07-01T07:00:00+01:00"),
            entry(0.30, "2026-07-01T07:00:00+01:00", "2026-07-02T00:00:00+01:00"),
        ]
    )
    svg = chart.svg(
        chart.hourly(day),
        chart_id="chart-today",
        title="Prices <today>",
        description="From 10 p to 30 p.",
        bar_title=lambda bar: f"{bar.start:%H}:00 {bar.level}",
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-today"')
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-today-title chart-today-desc"' in svg
    assert '<title id="chart-today-title">Prices &lt;today&gt;</title>' in svg
    assert svg.count('<rect class="bar bar-low"') == 7
    assert svg.count('<rect class="bar bar-high"') == 17
    assert "<title>07:00 HIGH</title>" in svg
    assert "style=" not in svg
    assert [label for label in ("00:00", "06:00", "12:00", "18:00") if f">{label}<" in svg] == [
        "00:00",
        "06:00",
        "12:00",
        "18:00",
    ]
