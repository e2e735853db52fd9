"""The schedule wire model and validate_schedule: every error code with its exact message,
midnight and whole-day windows, rate rules, and the precedence of entries and day rules."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tariffconnect.core.errors import ApiError, from_validation_errors
from tariffconnect.tariffs.schedule import (
    DayRule,
    ScheduleEntry,
    ScheduleError,
    Segment,
    validate_schedule,
)

D = Decimal


def w(start: str, end: str, fixed: Any = 0.1, **rate: Any) -> dict[str, Any]:
    return {"valid_from": start, "valid_to": end, "rate": [{"fixed": fixed, **rate}]}


def rule(days: list[str], *hours: dict[str, Any]) -> dict[str, Any]:
    return {"days": days, "hours": list(hours) or [w("00:00:00", "00:00:00")]}


def entry(months: list[str], *rules: dict[str, Any], dates: list[int] | None = None) -> dict:
    body: dict[str, Any] = {"months": months, "days_and_hours": list(rules) or [rule(["All"])]}
    if dates is not None:
        body["dates"] = dates
    return body


def flat(
    price: Any, months: list[str] | None = None, *, dates: list[int] | None = None, **rate: Any
) -> dict[str, Any]:
    window = w("00:00:00", "00:00:00", price, **rate)
    return entry(months or ["All"], rule(["All"], window), dates=dates)


def compile_(*entries: dict[str, Any], market: bool = False):
    parsed = [ScheduleEntry.model_validate(e) for e in entries]
    return validate_schedule(parsed, market_rates=market)


def fails(code: str, message: str, *entries: dict[str, Any], market: bool = False) -> None:
    with pytest.raises(ScheduleError) as caught:
        compile_(*entries, market=market)
    assert (caught.value.code, caught.value.message) == (code, message)
    assert caught.value.status == 400 and isinstance(caught.value, ApiError)


def wire_code(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        ScheduleEntry.model_validate(body)
    return from_validation_errors(caught.value.errors()).code


def prices(rule_: DayRule) -> list[tuple[int, Decimal]]:
    return [(s.start, s.price) for s in rule_.segments]


# The wire model, through the project's generic validation mapper.


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (entry(["Janu"]), "months_invalid"),
        (entry(["Jan", "All"]), "months_invalid"),
        (entry(["Jan", "Jan"]), "months_invalid"),
        (entry([]), "months_invalid"),
        (entry(["All"], rule(["Funday"])), "days_invalid"),
        (entry(["All"], rule(["Mon", "Mon"])), "days_invalid"),
        (entry(["All"], dates=[0]), "dates_invalid"),
        (entry(["All"], dates=[32]), "dates_invalid"),
        (entry(["All"], dates=[5, 5]), "dates_invalid"),
        (entry(["All"], rule(["All"], w("24:00:00", "00:00:00"))), "valid_from_invalid"),
        (entry(["All"], rule(["All"], w("00:00:00", "7:00:00"))), "valid_to_invalid"),
        (entry(["All"], rule(["All"], w("00:00:00", "00:60:00"))), "valid_to_invalid"),
        (flat(0.123456), "fixed_invalid"),
        (flat(1e-7), "fixed_invalid"),
        (flat(float("nan")), "fixed_invalid"),
        (flat(float("inf")), "fixed_invalid"),
        (flat(True), "fixed_invalid"),
        (flat(1234567890.1), "fixed_invalid"),  # more than 14 digits with the decimals
        (flat(0.1, surcharge_percentage=0.000001), "surcharge_percentage_invalid"),
        (flat(0.1, to_kwh=0), "to_kwh_invalid"),
        (flat(0.1, colour="red"), "colour_unknown"),
        (entry(["All"], rule(["All"], {**w("00:00:00", "00:00:00"), "rate": []})), "rate_invalid"),
        ({"months": ["All"]}, "days_and_hours_missing"),
    ],
)
def test_wire_errors_map_to_field_codes(body, code):
    assert wire_code(body) == code


def test_rates_parse_json_numbers_exactly_with_up_to_five_decimals():
    parsed = ScheduleEntry.model_validate(flat(0.12345, surcharge_fixed=0.1, to_kwh=None))
    tier = parsed.days_and_hours[0].hours[0].rate[0]
    assert tier.fixed == D("0.12345") and str(tier.surcharge_fixed) == "0.1"
    assert ScheduleEntry.model_validate_json(
        '{"months":["All"],"days_and_hours":[{"days":["All"],'
        '"hours":[{"valid_from":"00:00:00","valid_to":"00:00:00",'
        '"rate":[{"fixed":0.3}]}]}]}'
    ) == ScheduleEntry.model_validate(flat(0.3))


def test_rates_go_out_as_json_numbers_and_come_back_equal():
    parsed = ScheduleEntry.model_validate(flat(0.12345, surcharge_percentage=-0.05))
    dumped = parsed.model_dump(mode="json")
    assert dumped["days_and_hours"][0]["hours"][0]["rate"][0] == {
        "fixed": 0.12345,
        "to_kwh": None,
        "surcharge_fixed": None,
        "surcharge_percentage": -0.05,
    }
    assert ScheduleEntry.model_validate(dumped) == parsed


# Coverage of the 24-hour clock.


def test_gap_names_month_day_type_and_span():
    fails(
        "gap_in_time_period",
        "Jan, Weekdays: 07:00:00-08:00:00 is not covered",
        entry(["Jan"], rule(["Weekdays"], w("00:00:00", "07:00:00"), w("08:00:00", "00:00:00"))),
    )


def test_gap_at_the_end_of_the_day_and_across_midnight():
    fails(
        "gap_in_time_period",
        "All months, All days: 22:00:00-00:00:00 is not covered",
        entry(["All"], rule(["All"], w("00:00:00", "22:00:00"))),
    )
    fails(
        "gap_in_time_period",
        "Feb/Mar, Sat/Sun: 22:00:00-01:00:00 is not covered",
        entry(["Feb", "Mar"], rule(["Sat", "Sun"], w("01:00:00", "22:00:00"))),
    )
    fails(
        "gap_in_time_period",
        "Jun, dates 1/2, Holidays: 00:00:00-00:30:00 is not covered",
        entry(["Jun"], rule(["Holidays"], w("00:30:00", "00:00:00")), dates=[1, 2]),
    )


def test_overlap_names_both_windows():
    fails(
        "overlap_in_time_period",
        "Jan, Weekdays: 07:00:00-09:00:00 overlaps 08:00:00-10:00:00",
        entry(
            ["Jan"],
            rule(
                ["Weekdays"],
                w("08:00:00", "10:00:00"),
                w("10:00:00", "07:00:00"),
                w("07:00:00", "09:00:00"),
            ),
        ),
    )
    fails(
        "overlap_in_time_period",
        "All months, Mon: 22:00:00-02:00:00 overlaps 01:00:00-03:00:00",
        entry(["All"], rule(["Mon"], w("22:00:00", "02:00:00"), w("01:00:00", "03:00:00"))),
    )
    fails(
        "overlap_in_time_period",
        "All months, All days: 00:00:00-00:00:00 overlaps 00:00:00-00:00:00",
        entry(["All"], rule(["All"], w("00:00:00", "00:00:00"), w("00:00:00", "00:00:00"))),
    )


def test_a_day_type_in_two_rules_of_one_entry_overlaps():
    fails(
        "overlap_in_time_period",
        "Jan, Mon: 00:00:00-00:00:00 (Mon/Tue) overlaps 23:00:00-01:00:00 (Sun/Mon); "
        "a day may be in one day rule per entry",
        entry(
            ["Jan"],
            rule(["Mon", "Tue"]),
            rule(["Sun", "Mon"], w("23:00:00", "01:00:00"), w("01:00:00", "23:00:00")),
            rule(["All"]),
        ),
    )


def test_fallback_rules_beside_specific_ones_do_not_overlap():
    schedule = compile_(
        entry(["All"], rule(["Weekdays", "Holidays"]), rule(["Mon"]), rule(["All"]))
    )
    assert len(schedule.rules) == 3


def test_incomplete_when_a_weekday_has_no_rule():
    fails(
        "incomplete_time_period",
        "Jan, Sat: no day rule gives a price",
        entry(["All"], rule(["Weekdays"])),
    )


def test_incomplete_when_a_month_is_missing():
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
    fails("incomplete_time_period", "Dec: no schedule entry covers this month", flat(0.1, months))


def test_incomplete_when_dates_leave_days_out():
    fails(
        "incomplete_time_period",
        "Jan 16, Mon: no day rule gives a price",
        flat(0.1, dates=list(range(1, 16))),
    )
    # 29 February exists: an entry for 1-28 February leaves it unpriced.
    fails(
        "incomplete_time_period",
        "Feb 29, Mon: no day rule gives a price",
        flat(0.1, ["Feb"], dates=list(range(1, 29))),
        flat(0.2, ["Jan", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]),
    )


def test_incomplete_when_only_holidays_are_priced():
    fails(
        "incomplete_time_period",
        "Jan, Mon: no day rule gives a price",
        entry(["All"], rule(["Holidays"])),
    )


def test_empty_schedule_is_incomplete():
    with pytest.raises(ScheduleError) as caught:
        validate_schedule([], market_rates=False)
    assert caught.value.code == "incomplete_time_period"


def test_zero_length_window_is_invalid():
    fails(
        "valid_to_invalid",
        "Jan, Weekdays, 07:00:00-07:00:00: a window cannot be empty "
        "(00:00:00-00:00:00 is the whole day).",
        entry(["Jan"], rule(["Weekdays"], w("07:00:00", "07:00:00"))),
    )


def test_whole_day_and_midnight_crossing_windows_compile_to_clock_segments():
    schedule = compile_(
        entry(
            ["All"], rule(["All"], w("23:30:00", "05:30:00", 0.1), w("05:30:00", "23:30:00", 0.2))
        )
    )
    assert prices(schedule.rules[0]) == [(0, D("0.1")), (19800, D("0.2")), (84600, D("0.1"))]
    assert prices(compile_(flat(0.3)).rules[0]) == [(0, D("0.3"))]
    # Neighbouring windows with one price are one segment.
    merged = compile_(
        entry(
            ["All"], rule(["All"], w("00:00:00", "07:00:00", 0.1), w("07:00:00", "00:00:00", 0.1))
        )
    )
    assert prices(merged.rules[0]) == [(0, D("0.1"))]


# Rates.


def test_negative_rates_only_on_market_tariffs():
    fails(
        "fixed_invalid",
        "All months, All days, 00:00:00-00:00:00: negative rates are only allowed on "
        "market-based tariffs.",
        flat(-0.01),
    )
    fails(
        "surcharge_fixed_invalid",
        "All months, All days, 00:00:00-00:00:00: negative rates are only allowed on "
        "market-based tariffs.",
        flat(0.1, surcharge_fixed=-0.01),
    )
    schedule = compile_(flat(None, surcharge_fixed=-0.02, surcharge_percentage=-0.1), market=True)
    assert schedule.rules[0].segments == (Segment(0, D(0), D("-0.02"), D("0.9")),)
    assert compile_(flat(-0.05), market=True).market_rates


def test_fixed_may_be_null_only_on_market_tariffs():
    fails(
        "fixed_invalid",
        "All months, All days, 00:00:00-00:00:00: fixed is required unless the tariff has "
        "market rates.",
        flat(None),
    )
    schedule = compile_(flat(None), market=True)
    assert schedule.rules[0].segments == (Segment(0, D(0), D(0), D(1)),)


def test_tiers_increase_and_the_last_is_open():
    def tiers(*limits: Any) -> dict[str, Any]:
        window = {
            "valid_from": "00:00:00",
            "valid_to": "00:00:00",
            "rate": [{"fixed": (0.1, 0.11, 0.12)[i], "to_kwh": t} for i, t in enumerate(limits)],
        }
        return entry(["Mar"], rule(["Weekend"], window), rule(["All"]))

    message = (
        "Mar, Weekend, 00:00:00-00:00:00: to_kwh must increase from tier to tier and be "
        "null on the last tier."
    )
    fails("to_kwh_invalid", message, tiers(100, 50, None))
    fails("to_kwh_invalid", message, tiers(100, 100, None))
    fails("to_kwh_invalid", message, tiers(100, 200))
    fails("to_kwh_invalid", message, tiers(100, None, None))
    assert wire_code(tiers(100, -5, None)) == "to_kwh_invalid"
    # A tiered rate prices at its first tier.
    schedule = compile_(tiers(100, 200, None), flat(0.5))
    saturday = schedule.rule_for(date(2026, 3, 7), holiday=False)
    assert prices(saturday) == [(0, D("0.1"))]


def test_market_window_price_parts_count_nulls_as_zero():
    schedule = compile_(flat(0.4, surcharge_fixed=0.02, surcharge_percentage=0.05), market=True)
    assert schedule.rules[0].segments == (Segment(0, D(0), D("0.02"), D("1.05")),)
    # Surcharges are for market tariffs: a fixed tariff's price is `fixed`.
    fixed = compile_(flat(0.4, surcharge_fixed=0.02, surcharge_percentage=0.05))
    assert fixed.rules[0].segments == (Segment(0, D("0.4"), D(0), D(1)),)


# Precedence.


def price_on(schedule, day: date, holiday: bool = False) -> Decimal:
    return schedule.rule_for(day, holiday=holiday).segments[0].price


def test_dates_beat_months_which_beat_all_and_ties_go_to_the_first():
    schedule = compile_(
        flat(0.1),
        flat(0.2, ["Dec"]),
        flat(0.3, ["All"], dates=[24]),
        flat(0.4, ["Dec"], dates=[25]),
        flat(0.5, ["Dec"]),  # a tie with the Dec entry above, which comes first
        flat(0.6, ["All"], dates=[25]),  # less specific than Dec + 25
    )
    assert price_on(schedule, date(2026, 11, 5)) == D("0.1")
    assert price_on(schedule, date(2026, 12, 5)) == D("0.2")
    assert price_on(schedule, date(2026, 12, 24)) == D("0.3")
    assert price_on(schedule, date(2026, 12, 25)) == D("0.4")
    assert price_on(schedule, date(2026, 1, 25)) == D("0.6")


def test_day_rules_holidays_then_weekday_then_weekdays_or_weekend_then_all():
    schedule = compile_(
        entry(
            ["All"],
            rule(["All"], w("00:00:00", "00:00:00", 0.1)),
            rule(["Weekend"], w("00:00:00", "00:00:00", 0.2)),
            rule(["Sat"], w("00:00:00", "00:00:00", 0.3)),
            rule(["Holidays"], w("00:00:00", "00:00:00", 0.4)),
        )
    )
    assert price_on(schedule, date(2026, 12, 24)) == D("0.1")  # Thursday
    assert price_on(schedule, date(2026, 12, 25), holiday=True) == D("0.4")  # Friday, holiday
    assert price_on(schedule, date(2026, 12, 26)) == D("0.3")  # Saturday
    assert price_on(schedule, date(2026, 12, 26), holiday=True) == D("0.4")
    assert price_on(schedule, date(2026, 12, 27)) == D("0.2")  # Sunday


def test_an_entry_without_a_rule_for_the_day_passes_it_on():
    schedule = compile_(
        entry(["Jul"], rule(["Weekdays"], w("00:00:00", "00:00:00", 0.1))),
        entry(
            ["All"],
            rule(["Holidays"], w("00:00:00", "00:00:00", 0.2)),
            rule(["All"], w("00:00:00", "00:00:00", 0.3)),
        ),
    )
    assert price_on(schedule, date(2026, 7, 1)) == D("0.1")  # Wednesday: the July entry
    assert price_on(schedule, date(2026, 7, 4)) == D("0.3")  # Saturday: July has no rule
    # A holiday on a July weekday: the July entry has a rule for the day (Weekdays), and a
    # holiday without a Holidays rule in its entry is priced as its weekday.
    assert price_on(schedule, date(2026, 7, 3), holiday=True) == D("0.1")
    assert price_on(schedule, date(2026, 8, 3), holiday=True) == D("0.2")


def test_29_february_by_date():
    schedule = compile_(flat(0.1), flat(0.9, ["Feb"], dates=[29]))
    assert price_on(schedule, date(2028, 2, 29)) == D("0.9")
    assert price_on(schedule, date(2028, 2, 28)) == D("0.1")
    assert price_on(schedule, date(2028, 3, 1)) == D("0.1")
