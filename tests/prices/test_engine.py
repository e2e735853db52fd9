"""Properties of the price engine against a brute-force evaluation, minute by minute.

Random valid schedules (random windows per day type, entries by month and date, holidays),
random zones (whole-hour, half-hour and 45-minute offsets, 30-minute DST), random windows of up
to 10 days around the zones' DST changes, fixed and 15-minute market tariffs, summed in pairs.
The brute force below is written from the documented semantics alone, as plainly as possible.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tariffconnect.prices import engine
from tariffconnect.prices.engine import Interval, MarketPrices, NoPriceData, price_intervals
from tariffconnect.tariffs.schedule import ScheduleEntry, validate_schedule

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/Santiago",  # changes at midnight
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DAY_NAMES = [*WEEKDAYS, "Weekdays", "Weekend", "Holidays", "All"]
PRICES = ["0.1", "0.2", "0.25", "0.3"]
SURCHARGES = [None, "0", "0.02", "-0.01"]
PERCENTAGES = [None, "0", "0.05", "-0.1"]
MINUTE = timedelta(minutes=1)
SLOT = timedelta(minutes=15)


@cache
def changes(zone_name: str) -> list[datetime]:
    """UTC instants in 2026-2027 at which the zone's offset changes (probed every 15 minutes)."""
    zone, found = ZoneInfo(zone_name), []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year < 2028:
        if (moment + SLOT).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            found.append(moment + SLOT)
        moment += SLOT
    return found


def anchors(zone_name: str) -> list[datetime]:
    """Where windows are drawn around: the offset changes, or two dates for zones without."""
    return changes(zone_name) or [
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(2026, 12, 31, 18, 30, tzinfo=UTC),
    ]


# Random schedules, as wire dicts.


def clock(minutes: int) -> str:
    return f"{minutes // 60:02}:{minutes % 60:02}:00"


# Any minute, or one on the half-hour grid so that windows and the edges of the test window
# often meet.
minutes_of_day = st.one_of(st.integers(0, 1439), st.integers(0, 47).map(lambda k: k * 30))


@st.composite
def local_instant(draw, zone: ZoneInfo, anchor: datetime, cuts: list[int]) -> datetime:
    """A UTC instant within 5 days of `anchor`, drawn as a local wall time (either fold),
    often at one of the schedules' `cuts` (minutes of the day), where the engine changes."""
    midnight = anchor.astimezone(zone).replace(hour=0, minute=0, tzinfo=None)
    minutes = draw(st.integers(-5, 5)) * 1440 + draw(
        st.one_of(minutes_of_day, st.sampled_from(cuts))
    )
    wall = midnight + timedelta(minutes=minutes)
    return wall.replace(tzinfo=zone, fold=draw(st.integers(0, 1))).astimezone(UTC)


def _decimal(value: str | None) -> Decimal | None:
    # Schedules take numbers, never strings (as the API does): exact as Decimals.
    return None if value is None else Decimal(value)


@st.composite
def day_hours(draw, market: bool) -> list[dict]:
    """Windows tiling the day: cuts on the clock, each window to the next cut (cyclically)."""
    cuts = sorted(set(draw(st.lists(minutes_of_day, min_size=1, max_size=5))))
    # One cut: the whole day.
    spans = [(0, 0)] if len(cuts) == 1 else [*pairwise(cuts), (cuts[-1], cuts[0])]
    windows = []
    for a, b in spans:
        if market:
            rate = {
                "fixed": None,
                "surcharge_fixed": _decimal(draw(st.sampled_from(SURCHARGES))),
                "surcharge_percentage": _decimal(draw(st.sampled_from(PERCENTAGES))),
            }
        else:
            rate = {"fixed": _decimal(draw(st.sampled_from(PRICES)))}
        windows.append({"valid_from": clock(a), "valid_to": clock(b), "rate": [rate]})
    return draw(st.permutations(windows))


@st.composite
def schedules(draw, market: bool) -> list[dict]:
    """A few specific entries, then a whole-year fallback so every day has a price."""
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        names = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=4, unique=True))
        cut = draw(st.integers(1, len(names)))
        groups = [g for g in (names[:cut], names[cut:]) if g]
        months = draw(
            st.one_of(st.just(["All"]), st.lists(st.sampled_from(MONTHS), min_size=1, unique=True))
        )
        dates = draw(
            st.one_of(
                st.just([]), st.lists(st.integers(1, 31), unique=True, min_size=1, max_size=6)
            )
        )
        entries.append(
            {
                "months": months,
                "dates": dates,
                "days_and_hours": [{"days": g, "hours": draw(day_hours(market))} for g in groups],
            }
        )
    fallback = [{"days": ["All"], "hours": draw(day_hours(market))}]
    if draw(st.booleans()):
        fallback.insert(0, {"days": ["Weekend"], "hours": draw(day_hours(market))})
    entries.append({"months": ["All"], "days_and_hours": fallback})
    return draw(st.permutations(entries))


@dataclass
class Case:
    zone: ZoneInfo
    start: datetime
    end: datetime
    tariffs: list[tuple[list[ScheduleEntry], bool]]  # (entries, market_rates)
    market: dict[datetime, Decimal]  # 15-minute slot start (UTC) -> price
    holidays: frozenset[date]
    decimals: int | None  # rounding of the summed values
    rules: dict = field(default_factory=dict)  # the brute force's memo


@st.composite
def cases(draw, with_market: bool | None = None) -> Case:
    zone_name = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(anchors(zone_name)))
    market = draw(st.booleans()) if with_market is None else with_market
    kinds = [market] + ([False] if draw(st.booleans()) else [])
    tariffs = [([ScheduleEntry.model_validate(e) for e in draw(schedules(m))], m) for m in kinds]
    cuts = [
        seconds(window.valid_from) // 60
        for entries, _ in tariffs
        for entry in entries
        for rule in entry.days_and_hours
        for window in rule.hours
    ]
    instants = [draw(local_instant(ZoneInfo(zone_name), anchor, cuts)) for _ in "se"]
    start, end = min(instants), max(max(instants), min(instants) + MINUTE)
    local = start.astimezone(ZoneInfo(zone_name)).date()
    holidays = frozenset(
        local + timedelta(days=d) for d in draw(st.lists(st.integers(-1, 11), max_size=4))
    )
    prices: dict[datetime, Decimal] = {}
    if market:
        slot = datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(days=1)
        # Sometimes a gap of 15 to 45 minutes, near or inside the window (slot 96 is its day).
        last = 96 + 2 + int((end - slot - timedelta(days=1)) / SLOT)
        gap = draw(st.one_of(st.none(), st.integers(96 - 3, last)))
        gap_length = draw(st.integers(1, 3))
        rng = random.Random(draw(st.integers(0, 2**32)))  # 1,152 draws each would be slow
        for i in range(12 * 96):
            if gap is None or not gap <= i < gap + gap_length:
                prices[slot + i * SLOT] = Decimal(rng.choice(["0.1", "-0.05", "0.2"]))
    decimals = draw(st.sampled_from([None, 5, 2]))
    return Case(ZoneInfo(zone_name), start, end, tariffs, prices, holidays, decimals)


# The brute force.


def rule_for(entries: list[ScheduleEntry], day: date, holiday: bool):
    matching = [
        (i, e)
        for i, e in enumerate(entries)
        if ("All" in e.months or MONTHS[day.month - 1] in e.months)
        and (not e.dates or day.day in e.dates)
    ]
    matching.sort(key=lambda ie: (not ie[1].dates, "All" in ie[1].months, ie[0]))
    weekday = WEEKDAYS[day.weekday()]
    names = (["Holidays"] if holiday else []) + [
        weekday,
        "Weekend" if weekday in ("Sat", "Sun") else "Weekdays",
        "All",
    ]
    for _, entry in matching:
        for name in names:
            for rule in entry.days_and_hours:
                if name in rule.days:
                    return rule
    raise AssertionError(f"no rule for {day}")


def seconds(text: str) -> int:
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def window_at(rule, second: int):
    for window in rule.hours:
        a, b = seconds(window.valid_from), seconds(window.valid_to)
        if (
            a == b == 0
            or (a < b and a <= second < b)
            or (b == 0 and second >= a)
            or (a > b and (second >= a or second < b))
        ):
            return window
    raise AssertionError(f"no window at {second}")


def brute_force(case: Case, moment: datetime) -> Decimal | None:
    """The summed price at `moment`; None when a market price is missing."""
    local = moment.astimezone(case.zone)
    second = local.hour * 3600 + local.minute * 60 + local.second
    total = Decimal(0)
    for number, (entries, market) in enumerate(case.tariffs):
        key = (number, local.date())  # the rule of a date is looked up once (speed only)
        if key not in case.rules:
            case.rules[key] = rule_for(entries, local.date(), local.date() in case.holidays)
        tier = window_at(case.rules[key], second).rate[0]
        if not market:
            total += tier.fixed
            continue
        slot = moment - timedelta(minutes=moment.minute % 15, seconds=moment.second)
        if slot not in case.market:
            return None
        surcharge = tier.surcharge_fixed or Decimal(0)
        total += (case.market[slot] + surcharge) * (1 + (tier.surcharge_percentage or Decimal(0)))
    if case.decimals is None:
        return total
    return total.quantize(Decimal(1).scaleb(-case.decimals), ROUND_HALF_UP)


def run(case: Case) -> list[Interval]:
    market = MarketPrices([(s, s + SLOT, p) for s, p in sorted(case.market.items())])
    tariffs = [
        (validate_schedule(entries, market_rates=m), market if m else None)
        for entries, m in case.tariffs
    ]
    return price_intervals(
        tariffs,
        start=case.start,
        end=case.end,
        zone=case.zone,
        holidays=case.holidays,
        decimals=case.decimals,
    )


def assert_tiles(intervals: list[Interval], start: datetime, end: datetime) -> None:
    assert intervals[0].start == start and intervals[-1].end == end
    for interval in intervals:
        assert interval.start < interval.end and interval.start.tzinfo is UTC
        assert interval.confidence == 1
    for before, after in pairwise(intervals):
        assert before.end == after.start, "gap or overlap"
        assert before.value != after.value, "equal neighbours not merged"


def check(case: Case) -> None:
    # Every boundary is on a whole minute, so the price is constant within each minute.
    minutes = int((case.end - case.start) / MINUTE)
    expected = [brute_force(case, case.start + i * MINUTE) for i in range(minutes)]
    if None in expected:
        with pytest.raises(NoPriceData):
            run(case)
        return
    intervals = run(case)
    assert_tiles(intervals, case.start, case.end)
    position = 0
    for i, value in enumerate(expected):
        moment = case.start + i * MINUTE
        while intervals[position].end <= moment:
            position += 1
        assert intervals[position].value == value, moment


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_intervals_tile_the_window_and_match_the_brute_force(case):
    check(case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(with_market=True))
def test_market_tariffs_match_the_brute_force_or_refuse_a_gap(case):
    check(case)


@pytest.mark.parametrize("zone_name", ZONES)
def test_offset_changes_are_found_to_the_second(zone_name):
    zone, hour = ZoneInfo(zone_name), 3600 * 10**6
    lo, hi = (
        engine._micros(datetime(2026, 1, 1, tzinfo=UTC)),
        engine._micros(datetime(2028, 1, 1, tzinfo=UTC)),
    )
    pieces = engine._offset_pieces(zone, lo, hi)
    found = [engine._EPOCH + timedelta(microseconds=a) for a, _, _ in pieces[1:]]
    assert found == changes(zone_name)
    assert len(found) == (0 if zone_name == "Asia/Kolkata" else 4)  # two a year
    for a, b, offset in pieces:
        for at in (a, b - 1, (a + b) // 2, a + hour, b - hour):
            moment = engine._EPOCH + timedelta(microseconds=at)
            assert moment.astimezone(zone).utcoffset() == timedelta(microseconds=offset)


def test_bulk_built_intervals_equal_ordinary_ones():
    schedule = validate_schedule(
        [
            ScheduleEntry.model_validate(
                {
                    "months": ["All"],
                    "days_and_hours": [
                        {
                            "days": ["All"],
                            "hours": [
                                {
                                    "valid_from": "00:00:00",
                                    "valid_to": "00:00:00",
                                    "rate": [{"fixed": 0.1}],
                                }
                            ],
                        }
                    ],
                }
            )
        ],
        market_rates=False,
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    [made] = price_intervals(
        [(schedule, None)],
        start=start,
        end=start + MINUTE,
        zone=ZoneInfo("Europe/London"),
        holidays=(),
    )
    ordinary = Interval(start, start + MINUTE, Decimal("0.1"), Decimal(1))
    assert made == ordinary and hash(made) == hash(ordinary) and repr(made) == repr(ordinary)
    with pytest.raises(AttributeError):
        made.value = Decimal(2)  # type: ignore[misc]


def test_refusals():
    schedule = validate_schedule(
        [
            ScheduleEntry.model_validate(
                {
                    "months": ["All"],
                    "days_and_hours": [
                        {
                            "days": ["All"],
                            "hours": [
                                {
                                    "valid_from": "00:00:00",
                                    "valid_to": "00:00:00",
                                    "rate": [{"fixed": None}],
                                }
                            ],
                        }
                    ],
                }
            )
        ],
        market_rates=True,
    )
    start, zone = datetime(2026, 1, 1, tzinfo=UTC), ZoneInfo("Europe/London")
    assert price_intervals([(schedule, None)], start=start, end=start, zone=zone, holidays=()) == []
    with pytest.raises(NoPriceData):
        price_intervals([(schedule, None)], start=start, end=start + MINUTE, zone=zone, holidays=())
    with pytest.raises(NoPriceData):
        price_intervals(
            [(schedule, MarketPrices([]))], start=start, end=start + MINUTE, zone=zone, holidays=()
        )
    with pytest.raises(ValueError):
        price_intervals([(schedule, None)], start=start, end=start - MINUTE, zone=zone, holidays=())
    with pytest.raises(ValueError):
        price_intervals(
            [(schedule, None)], start=start.replace(tzinfo=None), end=start, zone=zone, holidays=()
        )
    with pytest.raises(ValueError):
        MarketPrices([(start, start + SLOT, Decimal(1)), (start, start + SLOT, Decimal(2))])
    with pytest.raises(ValueError):
        MarketPrices([(start, start + SLOT, Decimal("NaN"))])
