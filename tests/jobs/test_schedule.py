"""Schedules: intervals, local times of day across DST changes, and jitter."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tariffconnect.jobs.schedule import DailyAt, Every, with_jitter


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_every_is_due_at_start_then_an_interval_after_each_run():
    every = Every(timedelta(minutes=1))
    start = utc(2026, 12, 1, 9, 0, 0)
    assert every.first_due(start) == start
    assert every.next_after(start) == utc(2026, 12, 1, 9, 1, 0)
    assert every.describe() == "every 1 min"
    assert Every(timedelta(hours=2)).describe() == "every 2 h"
    assert Every(timedelta(seconds=1.5)).describe() == "every 1.5 s"


def test_every_refuses_a_non_positive_interval():
    with pytest.raises(ValueError, match="positive"):
        Every(timedelta(0))


def test_daily_at_local_times_in_winter_and_summer():
    berlin = DailyAt(("13:00",), zone="Europe/Berlin")
    # Winter: CET is UTC+1, so 13:00 local is 12:00 UTC.
    assert berlin.next_after(utc(2026, 12, 1, 9, 0)) == utc(2026, 12, 1, 12, 0)
    # After today's time has passed: tomorrow's.
    assert berlin.next_after(utc(2026, 12, 1, 12, 0)) == utc(2026, 12, 2, 12, 0)
    # Summer: CEST is UTC+2.
    assert berlin.next_after(utc(2026, 7, 1, 0, 0)) == utc(2026, 7, 1, 11, 0)
    assert berlin.first_due(utc(2026, 7, 1, 0, 0)) == utc(2026, 7, 1, 11, 0)
    assert berlin.describe() == "daily at 13:00 Europe/Berlin"


def test_daily_at_across_the_spring_and_autumn_changes():
    berlin = DailyAt(("13:00",), zone="Europe/Berlin")
    # 2026-03-29 is the spring change in the EU: the day before is CET, the day after CEST.
    assert berlin.next_after(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 11, 0)
    # 2026-10-25 is the autumn change: 13:00 that day is CET again.
    assert berlin.next_after(utc(2026, 10, 24, 11, 0)) == utc(2026, 10, 25, 12, 0)


def test_a_local_time_that_happens_twice_runs_once():
    night = DailyAt(("02:30",), zone="Europe/Berlin")
    first = night.next_after(utc(2026, 10, 24, 23, 0))
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, the first of the two
    assert night.next_after(first) == utc(2026, 10, 26, 1, 30)  # not the second 02:30 CET


def test_a_local_time_that_does_not_exist_runs_once_that_day():
    night = DailyAt(("02:30",), zone="Europe/Berlin")
    due = night.next_after(utc(2026, 3, 28, 23, 0))
    assert due.date() == datetime(2026, 3, 29).date()
    assert night.next_after(due) == utc(2026, 3, 30, 0, 30)


def test_several_times_of_day_come_in_order():
    twice = DailyAt(("18:00", "06:00"), zone="UTC")
    assert twice.next_after(utc(2026, 12, 1, 7, 0)) == utc(2026, 12, 1, 18, 0)
    assert twice.next_after(utc(2026, 12, 1, 18, 0)) == utc(2026, 12, 2, 6, 0)


@pytest.mark.parametrize(
    ("times", "zone", "message"),
    [
        ((), "UTC", "at least one"),
        (("25:00",), "UTC", "not a time of day"),
        (("1pm",), "UTC", "not a time of day"),
        (("13:00",), "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (("13:00",), "../etc", "unknown time zone"),
    ],
)
def test_daily_at_refuses_a_bad_declaration(times, zone, message):
    with pytest.raises(ValueError, match=message):
        DailyAt(times, zone=zone)


@given(st.integers(min_value=0, max_value=10**6))
def test_jitter_stays_below_its_bound(millis):
    due = utc(2026, 12, 1, 12, 0)
    jitter = timedelta(milliseconds=millis)
    late = with_jitter(due, jitter)
    assert due <= late <= due + jitter


def test_no_jitter_is_the_due_time_itself():
    due = utc(2026, 12, 1, 12, 0)
    assert with_jitter(due, timedelta(0)) == due
