"""The advanced schedule page's form (`advanced_tariff_capture`): its fields, the grid as
`data.schedule`, each problem at its field, and the schedule shown back in the fields.

Split from `forms`, which routes this page's submits and render data here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tariffconnect.connect.flow import advanced as machine_advanced
from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.flow.money import RateUnit, rate_unit
from tariffconnect.connect.web import fields
from tariffconnect.connect.web.numbers import NumberText, amount_text
from tariffconnect.tariffs.schedule import MONTHS

# A fixed grid (no script): season `s<i>` runs from month `s<i>_from` to `s<i>_to` (around the
# year's end too); each of its day types holds windows `s<i>_<day>_<k>_{from,to,rate}`, with
# an optional tier: `kwh` at `rate`, then `above`. Blank rows and unused seasons are ignored.

ADVANCED_ROUTE = "advanced_tariff_capture"
ADVANCED_SEASONS = 4
ADVANCED_WINDOWS = 3
# Form key -> the schedule's day name; All days is what the others do not cover.
ADVANCED_DAYS = {"all": "All", "weekdays": "Weekdays", "weekend": "Weekend", "holidays": "Holidays"}
WINDOW_PARTS = ("from", "to", "rate", "kwh", "above")
MONTH_LABELS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)
DAY_TYPE_LABELS = {
    "All": N_("All days"),
    "Weekdays": N_("Weekdays"),
    "Weekend": N_("Weekend"),
    "Holidays": N_("Public holidays"),
}
# The schedule page's messages (flow/advanced.py words them; listed here for the catalogue).
ADVANCED_MESSAGES = (
    N_("%(where)s: the rate is missing."),
    N_("%(where)s: the rate cannot be zero."),
    N_("%(where)s: the rate cannot be negative."),
    N_("%(where)s: the rate must be a number below 1000 (5 decimals at most)."),
    N_("%(where)s: the rate above %(kwh)s kWh is missing."),
    N_("%(where)s: the rate above %(kwh)s kWh cannot be zero."),
    N_("%(where)s: the rate above %(kwh)s kWh cannot be negative."),
    N_("%(where)s: the rate above %(kwh)s kWh must be a number below 1000 (5 decimals at most)."),
    N_("%(where)s: enter the kWh this rate applies up to, above the tier before."),
    N_("%(where)s: enter when the window starts as a time of day, like 16:00."),
    N_("%(where)s: enter when the window ends as a time of day, like 16:00."),
    N_("%(where)s: a window cannot end when it starts (00:00-00:00 is the whole day)."),
    N_("%(where)s: overlaps %(other)s."),
    N_("%(where)s: no rate covers this time."),
    N_("%(where)s: no season covers these months."),
)
ADVANCED_FIELDS = tuple(
    name
    for season in range(ADVANCED_SEASONS)
    for name in (
        f"s{season}_from",
        f"s{season}_to",
        *(
            f"s{season}_{day}_{window}_{part}"
            for day in ADVANCED_DAYS
            for window in range(ADVANCED_WINDOWS)
            for part in WINDOW_PARTS
        ),
    )
)


def to_data(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    """The grid as `data.schedule`; every problem (the form's, then the schedule's, found by
    the machine's own check) at its field, in the page's language (`data["lang"]`)."""
    factor = rate_unit(data.get("currency_code")).factor
    errors: list[fields.FieldError] = []
    schedule: list[dict[str, Any]] = []
    places: dict[str, str] = {}  # a path in data.schedule -> the field it came from
    for season in range(ADVANCED_SEASONS):
        at = f"schedule[{len(schedule)}]"
        rules: list[dict[str, Any]] = []
        for key, day in ADVANCED_DAYS.items():
            rule_at = f"{at}.days_and_hours[{len(rules)}]"
            windows: list[dict[str, Any]] = []
            for window in range(ADVANCED_WINDOWS):
                name = f"s{season}_{key}_{window}"
                texts = {part: form.get(f"{name}_{part}", "").strip() for part in WINDOW_PARTS}
                if not any(texts.values()):
                    continue
                window_at = f"{rule_at}.hours[{len(windows)}]"
                places.setdefault(f"{rule_at}.hours", f"{name}_from")
                places.update(
                    {
                        f"{window_at}.valid_from": f"{name}_from",
                        f"{window_at}.valid_to": f"{name}_to",
                        f"{window_at}.rate": f"{name}_rate",
                        f"{window_at}.rate[0].fixed": f"{name}_rate",
                        f"{window_at}.rate[0].to_kwh": f"{name}_kwh",
                        f"{window_at}.rate[1]": f"{name}_above",
                    }
                )
                try:
                    tiers = _window_tiers(name, texts, factor)
                except fields.FormInvalid as invalid:
                    errors.extend(invalid.errors)
                    continue
                windows.append(
                    {"valid_from": texts["from"], "valid_to": texts["to"], "rate": tiers}
                )
            if windows:
                rules.append({"days": [day], "hours": windows})
        first, last = form.get(f"s{season}_from", ""), form.get(f"s{season}_to", "")
        if not (first or last or rules):
            continue  # an unused season
        number = (("number", str(season + 1)),)
        months = _season_months(first, last)
        if months is None:
            message = N_("Choose the first and last month of season %(number)s.")
            errors.append(
                fields.FieldError(f"s{season}_from", "months_missing", message, params=number)
            )
        if not rules:
            message = N_("Enter the times and rates of season %(number)s.")
            field = f"s{season}_all_0_from"
            errors.append(fields.FieldError(field, "hours_missing", message, params=number))
        places[f"{at}.months"] = f"s{season}_from"
        schedule.append({"months": months or ["All"], "days_and_hours": rules})
    if not schedule:
        message = N_("Enter the times and rates of your tariff.")
        errors.append(fields.FieldError("s0_from", "schedule_missing", message))
    if errors:
        raise fields.FormInvalid(errors)
    _, problems = machine_advanced.check(schedule)
    if problems:
        raise fields.FormInvalid([_located(p, places, data.get("lang")) for p in problems])
    return {"schedule": schedule}


def _window_tiers(name: str, texts: Mapping[str, str], factor: int) -> list[dict[str, Any]]:
    """A window's rate tiers: its rate, or its rate up to `kwh` and `above` beyond (blank
    amounts as None, for the schedule's check to name)."""
    errors: list[fields.FieldError] = []
    amounts: dict[str, float | None] = {}
    for part, code in (("rate", "fixed"), ("kwh", "to_kwh"), ("above", "fixed")):
        try:
            amount = fields.amount(texts, part, 1 if part == "kwh" else factor, required=None)
        except fields.FormInvalid as invalid:
            field = f"{name}_{part}"
            errors += [
                fields.FieldError(field, f"{code}_invalid", e.message, params=e.params)
                for e in invalid.errors
            ]
            continue
        amounts[part] = amount if texts[part] else None
    if errors:
        raise fields.FormInvalid(errors)
    if amounts["kwh"] is None and amounts["above"] is None:
        return [{"fixed": amounts["rate"]}]
    return [{"fixed": amounts["rate"], "to_kwh": amounts["kwh"]}, {"fixed": amounts["above"]}]


def _season_months(first: str, last: str) -> list[str] | None:
    """The months from `first` to `last`, around the year's end if need be."""
    names = list(MONTHS)
    if first not in names or last not in names:
        return None
    start, end = names.index(first), names.index(last)
    return [names[(start + step) % 12] for step in range((end - start) % 12 + 1)]


def _located(
    problem: machine_advanced.Problem, places: Mapping[str, str], lang: Any
) -> fields.FieldError:
    """The problem in the page's language (month and day names too), at the field it is
    about: its path, or the nearest enclosing one the grid has (None: the page)."""
    from tariffconnect.connect.web import i18n  # i18n imports forms, which imports this module

    path = problem.field
    while path and path not in places:
        path = re.sub(r"(\.[a-z_]+|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
    field = places.get(path) if path else None
    if problem.text == "%(reason)s" or lang is None:  # the tariffs' own words
        return fields.FieldError(field, problem.code, problem.message, translated=False)

    def say(text: str) -> str:
        return i18n.gettext(lang, text)

    months = dict(zip(MONTHS, MONTH_LABELS, strict=True))
    where = machine_advanced.label(
        problem.where,
        month=lambda name: say(months.get(name, name)),
        day=lambda name: say(DAY_TYPE_LABELS.get(name, name)),
        all_months=say(N_("All months")),
    )
    message = say(problem.text) % {"where": where, **dict(problem.params)}
    return fields.FieldError(field, problem.code, message, translated=False)


def values(data: Mapping[str, Any], unit: RateUnit, number: NumberText) -> dict[str, str]:
    """The grid's fields for the render data's schedule: what the grid can show of it (day
    rules of one day type, seasons of consecutive months, the first windows)."""
    shown: dict[str, str] = {}
    schedule = data.get("schedule")
    entries = [e for e in schedule if isinstance(e, Mapping)] if isinstance(schedule, list) else []
    keys = {day: key for key, day in ADVANCED_DAYS.items()}
    for season, entry in enumerate(entries[:ADVANCED_SEASONS]):
        bounds = _season_bounds(entry.get("months"))
        if bounds is not None:
            shown[f"s{season}_from"], shown[f"s{season}_to"] = bounds
        for rule in entry.get("days_and_hours") or ():
            days = fields.mapping_of(rule).get("days")
            key = keys.get(days[0]) if isinstance(days, list) and len(days) == 1 else None
            hours = fields.mapping_of(rule).get("hours")
            if key is None or not isinstance(hours, list):
                continue
            for window, hour in enumerate(hours[:ADVANCED_WINDOWS]):
                shown.update(
                    _window_values(
                        f"s{season}_{key}_{window}", fields.mapping_of(hour), unit, number
                    )
                )
    return shown


def _window_values(
    name: str, hour: Mapping[str, Any], unit: RateUnit, number: NumberText
) -> dict[str, str]:
    tiers = (
        [fields.mapping_of(t) for t in hour.get("rate") or ()]
        if isinstance(hour.get("rate"), list)
        else []
    )
    first = tiers[0] if tiers else {}
    rate = amount_text(first.get("fixed"), unit.factor, number)
    if not rate and len(tiers) < 2:
        return {}  # no rate yet (the page's default): a blank row
    shown = {
        f"{name}_from": fields.text_of(hour.get("valid_from"))[:5],
        f"{name}_to": fields.text_of(hour.get("valid_to"))[:5],
        f"{name}_rate": rate,
    }
    if len(tiers) > 1:
        shown[f"{name}_kwh"] = amount_text(first.get("to_kwh"), 1, number)
        shown[f"{name}_above"] = amount_text(tiers[1].get("fixed"), unit.factor, number)
    return shown


def _season_bounds(months: Any) -> tuple[str, str] | None:
    """(first, last) of months that run on from one to the next; None for any other list."""
    names = list(MONTHS)
    if months == ["All"]:
        return names[0], names[-1]
    if not isinstance(months, list) or not months or not all(m in names for m in months):
        return None
    chosen = {names.index(m) for m in months}
    starts = [i for i in chosen if (i - 1) % 12 not in chosen]
    if len(starts) != 1:
        return (names[0], names[-1]) if len(chosen) == 12 else None
    end = (starts[0] + len(chosen) - 1) % 12
    return names[starts[0]], names[end]
