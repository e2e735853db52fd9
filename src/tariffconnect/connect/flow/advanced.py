"""The ADVANCED structure's page, `advanced_tariff_capture`: a whole schedule in the
anode/busbar shape (`POST /tariffs` `schedule`), offered when the session's
`route_options.advanced_tariff_capture` is set.

`check` reads the submitted schedule and finds every problem it can, each naming where it is
("Jun-Aug, Weekend, 16:00-19:00: the rate is missing") with a stable code and the path of its
field in `data.schedule`. What passes goes through the tariffs' own schedule validation
(`tariffs.schedule.validate_schedule`), which decides what `POST /tariffs` would take: so a
schedule this page accepts is one the tariff is created with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tariffconnect.connect.flow import inputs
from tariffconnect.connect.flow.context import Flow
from tariffconnect.core import errors
from tariffconnect.core.errors import ApiError
from tariffconnect.tariffs.schedule import MONTHS, ScheduleEntry, ScheduleError, validate_schedule

DAY_TYPES = ("All", "Weekdays", "Weekend", "Holidays")
DAY_NAMES = (*DAY_TYPES, "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# How a day name reads in a message (the weekday names read as themselves).
DAY_LABELS = {"All": "All days"}
MAX_ENTRIES = 16
MAX_RULES = 16
MAX_WINDOWS = 48
MAX_TIERS = 4
MAX_KWH = 1_000_000
DAY_MINUTES = 24 * 60
DEFAULT_SCHEDULE: list[dict[str, Any]] = [
    {
        "months": ["All"],
        "days_and_hours": [
            {
                "days": ["All"],
                "hours": [
                    {"valid_from": "00:00:00", "valid_to": "00:00:00", "rate": [{"fixed": 0}]}
                ],
            }
        ],
    }
]


@dataclass(frozen=True, slots=True)
class Where:
    """Where in the schedule a problem is: the season's months, the day type, a time span."""

    months: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    span: str | None = None  # "16:00-19:00"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: `text` is an English message with `%(where)s` (and `params`) in it, so
    the hosted pages can show it in the page's language; `field` is a path in `data`."""

    code: str
    text: str
    field: str
    where: Where = Where()
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return self.text % {"where": label(self.where), **dict(self.params)}


class ScheduleInvalid(ApiError):
    """The schedule's problems: the first is the error's code and message (and `field`)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        # All of them, for the error object's `errors` list (issue 14's "every error at once").
        listed = [errors.Problem(p.code, p.message, p.field) for p in problems]
        super().__init__(400, first.code, first.message, problems=listed)
        self.field: str | None = first.field
        self.schedule_problems = tuple(problems)


def label(
    where: Where,
    month: Callable[[str], str] = lambda name: name,
    day: Callable[[str], str] = lambda name: DAY_LABELS.get(name, name),
    all_months: str = "All months",
) -> str:
    """`Jun-Aug, Weekend, 16:00-19:00`; months as ranges, around the year's end too (Oct-Mar),
    several joined by a slash (`Jan/Mar-Apr`)."""
    parts = []
    if where.months:
        parts.append(_month_ranges(where.months, month, all_months))
    if where.days:
        parts.append("/".join(day(name) for name in where.days))
    if where.span:
        parts.append(where.span)
    return ", ".join(parts)


def _month_ranges(months: tuple[str, ...], month: Callable[[str], str], every: str) -> str:
    chosen = {MONTHS.index(m) for m in months if m in MONTHS}
    if "All" in months or len(chosen) == 12:
        return every
    # Start each range at a chosen month whose predecessor (cyclically) is not chosen.
    runs = []
    for first in sorted(i for i in chosen if (i - 1) % 12 not in chosen):
        last = first
        while (last + 1) % 12 in chosen:
            last = (last + 1) % 12
        ends = (month(MONTHS[first]), month(MONTHS[last]))
        runs.append(ends[0] if first == last else f"{ends[0]}-{ends[1]}")
    return "/".join(runs)


def _hhmm(minutes: int) -> str:
    minutes %= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def render(flow: Flow) -> dict[str, Any]:
    return {
        "provider": flow.provider(),
        "currency_code": flow.location.currency_code,
        "schedule": flow.state.draft.schedule or DEFAULT_SCHEDULE,
    }


def capture(flow: Flow, data: dict[str, Any] | None) -> None:
    """Keep the submitted schedule, or refuse it with every problem found."""
    schedule, problems = check((data or {}).get("schedule"))
    if problems:
        raise ScheduleInvalid(problems)
    flow.state.draft.schedule = schedule


# --- reading the schedule -------------------------------------------------------------------


class _Found:
    """The problems found so far."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, text: str, field: str, where: Where = Where(), **params: str) -> None:
        if len(self.problems) < errors.MAX_PROBLEMS:  # no more are listed
            self.problems.append(Problem(code, text, field, where, tuple(params.items())))


def check(value: Any) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The schedule in the wire shape (times as HH:MM:SS, rates as numbers), and every problem
    found in it (none: the tariffs' validation accepted it)."""
    found = _Found()
    if value is None:
        found.add("schedule_missing", "data.schedule is required.", "schedule")
        return [], found.problems
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ENTRIES:
        text = f"data.schedule must list 1 to {MAX_ENTRIES} seasons."
        found.add("schedule_invalid", text, "schedule")
        return [], found.problems
    entries = [_entry(found, f"schedule[{i}]", entry) for i, entry in enumerate(value)]
    if found.problems:
        return [], found.problems
    schedule = [entry for entry in entries if entry is not None]
    _months_covered(found, schedule)
    if not found.problems:
        _validate(found, schedule)
    return schedule, found.problems


def _entry(found: _Found, path: str, entry: Any) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        found.add("schedule_invalid", f"{path} must be an object.", path)
        return None
    unknown = sorted(set(entry) - {"months", "dates", "days_and_hours"})
    if unknown:
        # The key as a parameter: it is the client's text, and `text` is a %-template.
        text = f"{path}.%(key)s is not a known field."
        found.add("schedule_invalid", text, path, key=unknown[0][:64])
    months = entry.get("months")
    if (
        not isinstance(months, list)
        or not months
        or not all(m in (*MONTHS, "All") for m in months)
        or len(set(months)) != len(months)
        or ("All" in months and len(months) > 1)
    ):
        text = f"{path}.months must list month names (Jan to Dec) once each, or All."
        found.add("months_invalid", text, f"{path}.months")
        months = ["All"]  # to go on checking the rest of the season
    dates = entry.get("dates") or []
    if (
        not isinstance(dates, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 31 for d in dates)
        or len(set(dates)) != len(dates)
    ):
        found.add("dates_invalid", f"{path}.dates must list days of the month (1 to 31).", path)
        dates = []
    rules = entry.get("days_and_hours")
    if not isinstance(rules, list) or not 1 <= len(rules) <= MAX_RULES:
        text = f"{path}.days_and_hours must list 1 to {MAX_RULES} day rules."
        found.add("days_and_hours_invalid", text, f"{path}.days_and_hours")
        return None
    season = tuple(months)
    checked = [
        _rule(found, f"{path}.days_and_hours[{j}]", season, rule) for j, rule in enumerate(rules)
    ]
    out: dict[str, Any] = {"months": list(months)}
    if dates:
        out["dates"] = list(dates)
    out["days_and_hours"] = [rule for rule in checked if rule is not None]
    return out


def _rule(found: _Found, path: str, months: tuple[str, ...], rule: Any) -> dict[str, Any] | None:
    if not isinstance(rule, dict):
        found.add("days_and_hours_invalid", f"{path} must be an object.", path)
        return None
    days = rule.get("days")
    if (
        not isinstance(days, list)
        or not days
        or not all(d in DAY_NAMES for d in days)
        or len(set(days)) != len(days)
    ):
        text = (
            f"{path}.days must list day names once each: All, Weekdays, Weekend, Holidays "
            "or Mon to Sun."
        )
        found.add("days_invalid", text, f"{path}.days", Where(months))
        days = ["All"]
    where = Where(months, tuple(days))
    hours = rule.get("hours")
    if not isinstance(hours, list) or not 1 <= len(hours) <= MAX_WINDOWS:
        text = f"%(where)s: give 1 to {MAX_WINDOWS} time windows, each with its rate."
        found.add("hours_invalid", text, f"{path}.hours", where)
        return None
    before = len(found.problems)
    windows = [_window(found, f"{path}.hours[{k}]", where, w) for k, w in enumerate(hours)]
    if len(found.problems) == before:
        spans = [(w["start"], w["end"]) for w in windows if w is not None]
        _coverage(found, f"{path}.hours", where, spans)
    return {"days": list(days), "hours": [w["wire"] for w in windows if w is not None]}


def _minutes(value: Any) -> int | None:
    """A time of day (HH:mm or HH:mm:ss, whole minutes) as minutes after midnight."""
    match = inputs.TIME_OF_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None or (match.group(3) or "00") != "00":
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def _window(found: _Found, path: str, where: Where, window: Any) -> dict[str, Any] | None:
    if not isinstance(window, dict):
        found.add("hours_invalid", "%(where)s: each time window must be an object.", path, where)
        return None
    start, end = _minutes(window.get("valid_from")), _minutes(window.get("valid_to"))
    if start is None:
        text = "%(where)s: enter when the window starts as a time of day, like 16:00."
        found.add("valid_from_invalid", text, f"{path}.valid_from", where)
    if end is None:
        text = "%(where)s: enter when the window ends as a time of day, like 16:00."
        found.add("valid_to_invalid", text, f"{path}.valid_to", where)
    if start is None or end is None:
        return None
    at = Where(where.months, where.days, f"{_hhmm(start)}-{_hhmm(end)}")
    if start == end != 0:
        text = "%(where)s: a window cannot end when it starts (00:00-00:00 is the whole day)."
        found.add("valid_to_invalid", text, f"{path}.valid_to", at)
        return None
    tiers = _tiers(found, f"{path}.rate", at, window.get("rate"))
    if tiers is None:
        return None
    wire = {"valid_from": f"{_hhmm(start)}:00", "valid_to": f"{_hhmm(end)}:00", "rate": tiers}
    return {"start": start, "end": end, "wire": wire}


def _tiers(found: _Found, path: str, at: Where, tiers: Any) -> list[dict[str, Any]] | None:
    """A window's rate: tiers `{fixed, to_kwh}`, each up to its `to_kwh`, the last without."""
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= MAX_TIERS:
        found.add("fixed_missing", "%(where)s: the rate is missing.", path, at)
        return None
    before = len(found.problems)
    out: list[dict[str, Any]] = []
    previous = 0.0
    for position, tier in enumerate(tiers):
        here = f"{path}[{position}]"
        if not isinstance(tier, dict) or set(tier) - {"fixed", "to_kwh"}:
            text = "%(where)s: each rate tier is {fixed, to_kwh}."
            found.add("rate_invalid", text, here, at)
            continue
        above = None if position == 0 else f"{previous:g}"
        rate = _rate(found, f"{here}.fixed", at, tier.get("fixed"), above)
        last = position == len(tiers) - 1
        limit = _limit(found, f"{here}.to_kwh", at, tier.get("to_kwh"), last, previous)
        if rate is not None:
            out.append({"fixed": rate} if last else {"fixed": rate, "to_kwh": limit})
        previous = limit or previous
    return out if len(found.problems) == before else None


def _rate(found: _Found, path: str, at: Where, value: Any, above: str | None) -> float | None:
    """A tier's rate per kWh; `above` is the limit of the tier before (None on the first)."""
    try:
        return float(inputs.cost(value, "fixed"))
    except ApiError as error:
        code = error.code
    which = "the rate" if above is None else "the rate above %(kwh)s kWh"
    texts = {
        "fixed_missing": f"%(where)s: {which} is missing.",
        "cost_value_zero": f"%(where)s: {which} cannot be zero.",
        "cost_value_negative": f"%(where)s: {which} cannot be negative.",
    }
    text = texts.get(code, f"%(where)s: {which} must be a number below 1000 (5 decimals at most).")
    params = {} if above is None else {"kwh": above}
    found.add(code if code in texts else "fixed_invalid", text, path, at, **params)
    return None


def _limit(
    found: _Found, path: str, at: Where, value: Any, last: bool, previous: float
) -> float | None:
    if last:
        if value is not None:
            text = "%(where)s: the last rate tier has no upper limit (to_kwh)."
            found.add("to_kwh_invalid", text, path, at)
        return None
    try:
        limit = float(inputs.number(value, "to_kwh"))
    except ApiError:
        limit = -1.0
    if not previous < limit < MAX_KWH:
        text = "%(where)s: enter the kWh this rate applies up to, above the tier before."
        found.add("to_kwh_invalid", text, path, at)
        return None
    return limit


def _coverage(found: _Found, path: str, where: Where, spans: list[tuple[int, int]]) -> None:
    """The windows must cover the day once: every overlap, and every gap, is a problem."""
    pieces: list[tuple[int, int, int]] = []  # (start, end, window) in minutes of the day
    for position, (start, end) in enumerate(spans):
        if start == end:
            pieces.append((0, DAY_MINUTES, position))
        elif end == 0 or start < end:
            pieces.append((start, end or DAY_MINUTES, position))
        else:
            pieces += [(start, DAY_MINUTES, position), (0, end, position)]
    pieces.sort()
    reach, owner = 0, -1
    gaps: list[tuple[int, int]] = []
    for start, end, position in pieces:
        if start < reach and owner != position:
            span = f"{_hhmm(spans[position][0])}-{_hhmm(spans[position][1])}"
            other = f"{_hhmm(spans[owner][0])}-{_hhmm(spans[owner][1])}"
            found.add(
                "overlap_in_time_period",
                "%(where)s: overlaps %(other)s.",
                f"{path}[{position}].valid_from",
                Where(where.months, where.days, span),
                other=other,
            )
        elif start > reach:
            gaps.append((reach, start))
        if end > reach:
            reach, owner = end, position
    if reach < DAY_MINUTES:
        gaps.append((reach, DAY_MINUTES))
    if len(gaps) > 1 and gaps[0][0] == 0 and gaps[-1][1] == DAY_MINUTES:
        gaps = [*gaps[1:-1], (gaps[-1][0], gaps[0][1])]  # one gap across midnight
    for start, end in gaps:
        at = Where(where.months, where.days, f"{_hhmm(start)}-{_hhmm(end)}")
        found.add("gap_in_time_period", "%(where)s: no rate covers this time.", path, at)


def _months_covered(found: _Found, schedule: list[dict[str, Any]]) -> None:
    covered = {m for entry in schedule for m in entry["months"]}
    missing = tuple(m for m in MONTHS if m not in covered)
    if "All" not in covered and missing:
        text = "%(where)s: no season covers these months."
        found.add("incomplete_time_period", text, "schedule", Where(missing))


def _validate(found: _Found, schedule: list[dict[str, Any]]) -> None:
    """The tariffs' own checks of what is left: days no rule prices, a day in two rules."""
    try:
        entries = [ScheduleEntry.model_validate(entry) for entry in schedule]
        validate_schedule(entries, market_rates=False)
    except ScheduleError as error:
        found.add(error.code, "%(reason)s", "schedule", reason=error.message)
    except ValidationError as error:
        reason = str(error.errors()[0]["msg"])
        found.add("schedule_invalid", "%(reason)s", "schedule", reason=reason)
