"""A tariff's `schedule` (Flatpeak's wire format), its validation and its compiled form.

The wire format is a list of entries, each `{months, dates, days_and_hours}`; a day rule
`{days, hours}` prices the whole local day with windows `{valid_from, valid_to, rate}` given in
wall-clock time. Times are `HH:MM:SS`; `00:00:00`-`00:00:00` is the whole day and a window with
`valid_from` after `valid_to` crosses midnight (23:30:00-05:30:00 covers 23:30-24:00 and
00:00-05:30 of the same day's clock). Every day rule must cover the 24 hours exactly once.

Which rule prices a local date (the precedence; `validate_schedule` compiles it into a table):

1. Entries are ranked by specificity: one listing `dates` (days of the month) beats one without;
   among equals, one naming the month beats `All`; ties go to the first in the list.
2. The most specific entry that has a rule for the day applies. Within an entry: its `Holidays`
   rule on a public holiday; else the rule naming the weekday (`Mon`..`Sun`); else `Weekdays` or
   `Weekend`; else `All`. An entry with no rule for the day (say, only `Weekdays` on a Saturday,
   or only `Holidays` on a working day) passes the date on to the next entry in rank.
3. A holiday on which no ranked entry has a `Holidays` rule is priced as its weekday.

So a whole-year `All` entry can carry the defaults while smaller entries override months, dates,
weekdays or holidays. Every (month, day of month, weekday) must resolve to a rule, or the
schedule is `incomplete_time_period`.

Rates: a window's first tier is its price (tiers only matter to billing). On fixed tariffs that
is `fixed`; on market tariffs it is `(market price + surcharge_fixed) * (1 + surcharge_percentage)`
(`surcharge_percentage` is a fraction: 0.05 is 5%; nulls count as 0) and `fixed` is ignored, as
surcharges are on fixed tariffs.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator
from pydantic.config import JsonDict

from tariffconnect.core.errors import ApiError, invalid
from tariffconnect.core.wire import Numeric

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_SECONDS = 86_400

MonthName = Literal[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "All"
]
DayName = Literal[
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Weekdays", "Weekend", "Holidays", "All"
]
# At most 14 digits with 5 decimals: exact as Decimal, and exact through a JSON float too (a
# float keeps 15 significant digits), which is how rates go out and are stored.
Number = Annotated[
    Decimal,
    Numeric,
    Field(max_digits=14, decimal_places=5, allow_inf_nan=False),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Listed = TypeVar("Listed", str, int)
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", examples=["07:30:00"])]


def _unique(values: list[Listed]) -> list[Listed]:
    if len(set(values)) != len(values):
        raise ValueError("each value may be listed only once")
    return values


class RateTier(BaseModel):
    """One tier of a window's rate: up to `to_kwh` (null on the last tier)."""

    model_config = ConfigDict(extra="forbid")

    fixed: Number | None = None
    to_kwh: Number | None = Field(default=None, gt=0)
    surcharge_fixed: Number | None = None
    surcharge_percentage: Number | None = None


class HourWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_from: Clock
    valid_to: Clock
    rate: list[RateTier] = Field(min_length=1, max_length=16)


# What the schema says of _unique and of _months (which decide, with their own messages).
UNIQUE: JsonDict = {"uniqueItems": True}
# "All" stands alone, or the list names months.
MONTHS_SCHEMA: JsonDict = {**UNIQUE, "anyOf": [{"maxItems": 1}, {"items": {"enum": list(MONTHS)}}]}


class DaysAndHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[DayName] = Field(min_length=1, json_schema_extra=UNIQUE)
    hours: list[HourWindow] = Field(min_length=1, max_length=96)

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        return _unique(days)


class ScheduleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: list[MonthName] = Field(min_length=1, json_schema_extra=MONTHS_SCHEMA)
    dates: list[Annotated[int, Field(ge=1, le=31)]] = Field(
        default_factory=list, json_schema_extra=UNIQUE
    )
    days_and_hours: list[DaysAndHours] = Field(min_length=1, max_length=16)

    @field_validator("months")
    @classmethod
    def _months(cls, months: list[str]) -> list[str]:
        if "All" in months and len(months) > 1:
            raise ValueError("All cannot be combined with month names")
        return _unique(months)

    @field_validator("dates")
    @classmethod
    def _dates(cls, dates: list[int]) -> list[int]:
        return _unique(dates)


class ScheduleError(ApiError):
    """A schedule that breaks a structural rule: 400 with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        error = invalid(code, message)
        super().__init__(error.status, code, message)


@dataclass(frozen=True, slots=True)
class Segment:
    """From `start` (seconds after local midnight, wall clock) to the next segment's start."""

    start: int
    price: Decimal  # fixed tariffs: the price; market tariffs: 0
    surcharge_fixed: Decimal  # market tariffs only (0 on fixed ones)
    surcharge_factor: Decimal  # market tariffs: 1 + surcharge_percentage (1 on fixed ones)


@dataclass(frozen=True, slots=True)
class DayRule:
    """A whole local day: segments sorted by start, the first at 0, neighbours different."""

    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """A validated schedule, ready for the price engine. Compared by identity (it is cached).

    `day_table[day_index(month, day, weekday, holiday)]` is the index in `rules` of the rule
    pricing such a local date.
    """

    market_rates: bool
    rules: tuple[DayRule, ...]
    day_table: tuple[int, ...] = field(repr=False)

    def rule_for(self, day: date, *, holiday: bool) -> DayRule:
        return self.rules[self.day_table[day_index(day.month, day.day, day.weekday(), holiday)]]


def day_index(month: int, day: int, weekday: int, holiday: bool) -> int:
    """Position in `Schedule.day_table` of a date with this month (1-12), day, weekday (0=Mon)."""
    return ((month - 1) * 31 + day - 1) * 14 + weekday * 2 + holiday


def validate_schedule(entries: Sequence[ScheduleEntry], *, market_rates: bool) -> Schedule:
    """Check the structural rules and compile; raise `ScheduleError` naming what is at fault."""
    rules: list[DayRule] = []
    claims: list[dict[str, int]] = []  # per entry: day name -> index in `rules`
    for entry in entries:
        owners: dict[str, DaysAndHours] = {}
        owned: dict[str, int] = {}
        for rule in entry.days_and_hours:
            rules.append(_compile_rule(entry, rule, market_rates))
            for name in rule.days:
                if name in owners:
                    _claimed_twice(entry, name, owners[name], rule)
                owners[name], owned[name] = rule, len(rules) - 1
        claims.append(owned)
    table = _day_table(entries, claims)
    return Schedule(market_rates=market_rates, rules=tuple(rules), day_table=table)


def _clock(text: str) -> int:
    return int(text[0:2]) * 3600 + int(text[3:5]) * 60 + int(text[6:8])


def _text(seconds: int) -> str:
    seconds %= DAY_SECONDS
    return f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"


def _months_label(entry: ScheduleEntry) -> str:
    label = "All months" if entry.months == ["All"] else "/".join(entry.months)
    return f"{label}, dates {'/'.join(map(str, entry.dates))}" if entry.dates else label


def _where(entry: ScheduleEntry, rule: DaysAndHours) -> str:
    days = "All days" if rule.days == ["All"] else "/".join(rule.days)
    return f"{_months_label(entry)}, {days}"


def _span(window: HourWindow) -> str:
    return f"{window.valid_from}-{window.valid_to}"


def _pieces(window: HourWindow) -> list[tuple[int, int]]:
    """The window as half-open second ranges of one day's clock (two if it crosses midnight)."""
    start, end = _clock(window.valid_from), _clock(window.valid_to)
    if start == end:  # only 00:00:00-00:00:00 gets here (checked before)
        return [(0, DAY_SECONDS)]
    if end == 0 or start < end:
        return [(start, end or DAY_SECONDS)]
    return [(start, DAY_SECONDS), (0, end)]


def _compile_rule(entry: ScheduleEntry, rule: DaysAndHours, market: bool) -> DayRule:
    where = _where(entry, rule)
    pieces: list[tuple[int, int, int]] = []  # (start, end, window position)
    for position, window in enumerate(rule.hours):
        if window.valid_from == window.valid_to != "00:00:00":
            raise ScheduleError(
                "valid_to_invalid",
                f"{where}, {_span(window)}: a window cannot be empty "
                "(00:00:00-00:00:00 is the whole day).",
            )
        _check_rates(f"{where}, {_span(window)}", window.rate, market)
        pieces += [(start, end, position) for start, end in _pieces(window)]
    pieces.sort()
    _check_coverage(where, rule.hours, pieces)
    segments: list[Segment] = []
    for start, _end, position in pieces:
        segment = _segment(start, rule.hours[position].rate[0], market)
        if not segments or not _same(segments[-1], segment):
            segments.append(segment)
    return DayRule(tuple(segments))


def _segment(start: int, tier: RateTier, market: bool) -> Segment:
    zero = Decimal(0)
    if not market:
        return Segment(start, tier.fixed if tier.fixed is not None else zero, zero, Decimal(1))
    surcharge = tier.surcharge_fixed if tier.surcharge_fixed is not None else zero
    percentage = tier.surcharge_percentage if tier.surcharge_percentage is not None else zero
    return Segment(start, zero, surcharge, 1 + percentage)


def _same(a: Segment, b: Segment) -> bool:
    return (a.price, a.surcharge_fixed, a.surcharge_factor) == (
        b.price,
        b.surcharge_fixed,
        b.surcharge_factor,
    )


def _check_rates(where: str, tiers: list[RateTier], market: bool) -> None:
    for position, tier in enumerate(tiers):
        if tier.fixed is None and not market:
            raise ScheduleError(
                "fixed_invalid", f"{where}: fixed is required unless the tariff has market rates."
            )
        for name in ("fixed", "surcharge_fixed", "surcharge_percentage"):
            value = getattr(tier, name)
            if value is not None and value < 0 and not market:
                raise ScheduleError(
                    f"{name}_invalid",
                    f"{where}: negative rates are only allowed on market-based tariffs.",
                )
        last = position == len(tiers) - 1
        previous = tiers[position - 1].to_kwh if position else None
        if (tier.to_kwh is None) != last or (
            previous is not None and tier.to_kwh is not None and tier.to_kwh <= previous
        ):
            raise ScheduleError(
                "to_kwh_invalid",
                f"{where}: to_kwh must increase from tier to tier and be null on the last tier.",
            )


def _check_coverage(
    where: str, hours: list[HourWindow], pieces: list[tuple[int, int, int]]
) -> None:
    """The sorted pieces must tile [0, 24h): report the first overlap, else the first gap."""
    reach, owner = 0, -1
    gaps: list[tuple[int, int]] = []
    for start, end, position in pieces:
        if start < reach:
            raise ScheduleError(
                "overlap_in_time_period",
                f"{where}: {_span(hours[owner])} overlaps {_span(hours[position])}",
            )
        if start > reach:
            gaps.append((reach, start))
        reach, owner = end, position
    if reach < DAY_SECONDS:
        gaps.append((reach, DAY_SECONDS))
    if len(gaps) > 1 and gaps[0][0] == 0 and gaps[-1][1] == DAY_SECONDS:
        # Uncovered both sides of midnight: one span across midnight, as a window would say it.
        gaps = [*gaps[1:-1], (gaps[-1][0], gaps[0][1])]
    if gaps:
        start, end = gaps[0]
        raise ScheduleError(
            "gap_in_time_period", f"{where}: {_text(start)}-{_text(end)} is not covered"
        )


def _claimed_twice(entry: ScheduleEntry, name: str, a: DaysAndHours, b: DaysAndHours) -> None:
    # Both rules cover the whole day (checked first), so their windows holding 00:00:00 overlap.
    a_window = next(w for w in a.hours if any(s == 0 for s, _ in _pieces(w)))
    b_window = next(w for w in b.hours if any(s == 0 for s, _ in _pieces(w)))
    raise ScheduleError(
        "overlap_in_time_period",
        f"{_months_label(entry)}, {name}: {_span(a_window)} ({'/'.join(a.days)}) overlaps "
        f"{_span(b_window)} ({'/'.join(b.days)}); a day may be in one day rule per entry",
    )


def _rank(entries: Sequence[ScheduleEntry]) -> list[int]:
    """Entry positions, most specific first (dates, then a named month, then list order)."""
    return sorted(
        range(len(entries)), key=lambda i: (not entries[i].dates, entries[i].months == ["All"], i)
    )


def _rule_in(claims: dict[str, int], weekday: int, holiday: bool) -> int:
    names: tuple[str, ...] = ("Holidays",) if holiday else ()
    names += (WEEKDAYS[weekday], "Weekend" if weekday >= 5 else "Weekdays", "All")
    return next((claims[name] for name in names if name in claims), -1)


def _day_table(entries: Sequence[ScheduleEntry], claims: list[dict[str, int]]) -> tuple[int, ...]:
    """Resolve every (month, day, weekday, holiday); -1 marks a date no rule prices."""
    ranked = _rank(entries)
    dates = [frozenset(entry.dates or ()) for entry in entries]
    table = [-1] * (12 * 31 * 14)
    solved: dict[tuple[int, ...], list[int]] = {}  # the ranked matching entries -> 14 rules

    def rules_of(matching: tuple[int, ...]) -> list[int]:
        if matching not in solved:
            solved[matching] = [
                next((r for i in matching if (r := _rule_in(claims[i], wd, h)) >= 0), -1)
                for wd in range(7)
                for h in (False, True)
            ]
        return solved[matching]

    for month in range(1, 13):
        name = MONTHS[month - 1]
        in_month = [i for i in ranked if entries[i].months == ["All"] or name in entries[i].months]
        if not any(not dates[i] or not dates[i].isdisjoint(range(1, 32)) for i in in_month):
            raise ScheduleError(
                "incomplete_time_period", f"{name}: no schedule entry covers this month"
            )
        days = monthrange(2000, month)[1]  # 2000: February has its 29th
        start = day_index(month, 1, 0, False)
        if not any(dates[i] for i in in_month):  # every day of the month alike: one block
            by_day = [rules_of(tuple(in_month))] * days
        else:
            by_day = [
                rules_of(tuple(i for i in in_month if not dates[i] or day in dates[i]))
                for day in range(1, days + 1)
            ]
        table[start : start + days * 14] = [rule for rules in by_day for rule in rules]
        # Holidays fall back to their weekday: a priced weekday (an even slot) is enough.
        if any(min(rules[0::2]) < 0 for rules in by_day):
            _check_complete(table, month)  # names the first date no rule prices
    return tuple(table)


def _check_complete(table: list[int], month: int) -> None:
    days = range(1, monthrange(2000, month)[1] + 1)
    for weekday in range(7):
        missing = [d for d in days if table[day_index(month, d, weekday, False)] < 0]
        if missing:
            # Holidays fall back to their weekday, so a priced weekday is a priced holiday.
            at = (
                MONTHS[month - 1]
                if len(missing) == len(days)
                else f"{MONTHS[month - 1]} {missing[0]}"
            )
            raise ScheduleError(
                "incomplete_time_period",
                f"{at}, {WEEKDAYS[weekday]}: no day rule gives a price",
            )
