"""HTML form fields <-> the Connect flow's requests, per route.

The one Python module that knows form field names: `to_request` turns a posted form into the
`FlowRequest` the state machine takes, `values` turns the machine's render data into the
strings the fields show, `entered` keeps what the customer typed for a re-render, and
`field_of` says which field a machine error belongs to. The templates name the same fields
(`FIELDS` lists them; a test checks the two agree).

Money is entered in the currency's minor unit per kWh where it has one (see `numbers`), and
converted to major units for the machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tariffconnect.connect.flow import advanced as machine_advanced
from tariffconnect.connect.flow import inputs as machine_inputs
from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.flow.money import RateUnit, rate_unit
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS, FlowRequest
from tariffconnect.connect.web.numbers import (
    PERCENT_DECIMALS,
    NumberText,
    amount_text,
    decimals_for,
    parse_number,
)
from tariffconnect.tariffs.schedule import MONTHS

# Fields every step's forms carry.
ROUTE_FIELD = "route"
CSRF_FIELD = "csrf_token"
ACTION_FIELD = "action"
SKIP_FIELD = "skip"  # contract_term_capture's "until terminated" button

TOD_FIELDS = ("day_from", "day_to", "day_cost", "night_from", "night_to", "night_cost")
CHARGE_FIELD = "standing_charge"  # optional on both rate pages, per day in the minor unit
FIELDS: dict[str, tuple[str, ...]] = {
    "postal_address_capture": ADDRESS_FIELDS,
    "provider_select": ("provider_id",),
    "provider_name_capture": ("provider_name",),
    "tariff_select": ("tariff_id",),
    "tariff_structure_select": ("structure",),
    "rate_fixed_capture": ("cost", CHARGE_FIELD),
    "rate_tod_capture": (*TOD_FIELDS, CHARGE_FIELD),
    "region_select": ("region",),
    "surcharge_capture": ("surcharge_fixed", "surcharge_percentage", "region"),
    "tariff_name_capture": ("tariff_name",),
    "contract_term_capture": ("contract_end_date", SKIP_FIELD),
}
# Fields that are radio groups: an error links to the first radio, `<name>-0`.
RADIO_FIELDS = frozenset({"provider_id", "tariff_id", "structure", "region"})

MAX_TEXT = 255
# The longest value each text field takes (the location's columns); inputs say so too.
MAX_LENGTHS = {
    "address_line1": 255,
    "address_line2": 255,
    "city": 255,
    "state": 64,
    "post_code": 32,
    "country_code": 8,
    "provider_name": 255,
    "tariff_name": 255,
}
DEFAULT_DAY = ("07:00", "23:00")
DEFAULT_NIGHT = ("23:00", "07:00")

_ACTION = re.compile(r"[A-Za-z_]{1,64}")
_DATE_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


@dataclass(frozen=True, slots=True)
class FieldError:
    """A problem with one field (`field` None: with the page as a whole).

    `message` is an English msgid (translated when shown, then formatted with `params`)
    unless `translated` is False, which marks the machine's own message for a code the pages
    have no text for.
    """

    field: str | None
    code: str
    message: str
    translated: bool = True
    params: tuple[tuple[str, str], ...] = ()


class FormInvalid(Exception):
    """The form cannot become a request; nothing was sent to the machine."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(error.code for error in errors))
        self.errors = errors


def anchor(field: str) -> str:
    """The element id an error summary links to for `field`."""
    return f"{field}-0" if field in RADIO_FIELDS else field


def action_of(form: Mapping[str, str]) -> str | None:
    """The button's action (BACK, CLOSE, ...), upper-cased; None when there is none or it is
    not an action name at all."""
    value = form.get(ACTION_FIELD, "").strip()
    if not value or not _ACTION.fullmatch(value):
        return None
    return value.upper()


def has_garbage_action(form: Mapping[str, str]) -> bool:
    value = form.get(ACTION_FIELD, "").strip()
    return bool(value) and not _ACTION.fullmatch(value)


def entered(route: str, form: Mapping[str, str]) -> dict[str, str]:
    """What the customer typed into this route's fields, to show again after an error."""
    return {name: form.get(name, "")[:MAX_TEXT] for name in FIELDS.get(route, ())}


# --- form -> request ------------------------------------------------------------------------


def to_request(
    route: str, token: str, form: Mapping[str, str], data: Mapping[str, Any]
) -> FlowRequest | None:
    """The request for this submit of `route`; None when the form asks for nothing (a page
    without fields, such as the summary, submitted without a button). `data` is the page's
    render data (the currency). Raises FormInvalid for input that cannot be sent."""
    action = action_of(form)
    if action is not None:
        return FlowRequest(route=route, connect_token=token, type="submit", action=action)
    build = _BUILDERS.get(route)
    if build is None:
        return None
    # A builder's None is a submit without data (contract_term_capture's "until terminated").
    payload = build(form, data)
    return FlowRequest(route=route, connect_token=token, type="submit", data=payload)


def _text(form: Mapping[str, str], name: str) -> str:
    """A text field as the machine takes it: runs of white space as one space, control
    characters (NUL) dropped, at most the field's length."""
    words = "".join(ch for ch in form.get(name, "") if ch.isprintable() or ch.isspace()).split()
    return " ".join(words)[: MAX_LENGTHS.get(name, MAX_TEXT)]


def _address(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    address = {name: _text(form, name) for name in ADDRESS_FIELDS}
    address["country_code"] = address["country_code"].upper()
    return {"postal_address": address}


def _choice(name: str, code: str, message: str) -> Callable[[Mapping[str, str]], str]:
    def chosen(form: Mapping[str, str]) -> str:
        value = form.get(name, "").strip()
        if not value:
            raise FormInvalid([FieldError(name, code, message)])
        return value[:MAX_TEXT]

    return chosen


_provider = _choice("provider_id", "provider_id_missing", N_("Choose your energy provider."))
_tariff = _choice("tariff_id", "tariff_id_missing", N_("Choose your tariff."))
_structure = _choice("structure", "options_missing", N_("Choose how your tariff is priced."))
_region = _choice("region", "region_missing", N_("Choose your region."))


def _provider_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"provider": {"id": _provider(form)}}


def _provider_name(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    name = _text(form, "provider_name")
    if not name:
        message = N_("Enter the name of your energy provider.")
        raise FormInvalid([FieldError("provider_name", "provider_name_missing", message)])
    return {"provider": {"name": name}}


def _tariff_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"tariff": {"id": _tariff(form)}}


def _structure_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"options": [_structure(form).upper()]}


def _rate_fixed(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    unit = rate_unit(data.get("currency_code"))
    errors: list[FieldError] = []
    payload: dict[str, Any] = {}
    try:
        payload["cost"] = _amount(
            form, "cost", unit.factor, required=N_("Enter your price per kWh.")
        )
    except FormInvalid as invalid:
        errors.extend(invalid.errors)
    try:
        payload.update(_standing_charge(form, unit))
    except FormInvalid as invalid:
        errors.extend(invalid.errors)
    if errors:
        raise FormInvalid(errors)
    return payload


def _standing_charge(form: Mapping[str, str], unit: RateUnit) -> dict[str, Any]:
    """`standing_charge` for the request when one was entered (none when the field is empty:
    the tariff then has no standing charge)."""
    if not form.get(CHARGE_FIELD, "").strip():
        return {}
    return {CHARGE_FIELD: _amount(form, CHARGE_FIELD, unit.factor, required=None)}


def _rate_tod(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    unit = rate_unit(data.get("currency_code"))
    errors: list[FieldError] = []
    times: dict[str, str] = {}
    costs: dict[str, float] = {}
    time_messages = {
        "day_from": N_("Enter the time the day rate starts, like 07:00."),
        "day_to": N_("Enter the time the day rate ends, like 23:00."),
        "night_from": N_("Enter the time the night rate starts, like 23:00."),
        "night_to": N_("Enter the time the night rate ends, like 07:00."),
    }
    for name, message in time_messages.items():
        value = _time(form.get(name, ""))
        if value is None:
            errors.append(FieldError(name, "time_invalid", message))
        else:
            times[name] = value
    cost_messages = {
        "day_cost": N_("Enter your day rate."),
        "night_cost": N_("Enter your night rate."),
    }
    for name, message in cost_messages.items():
        try:
            costs[name] = _amount(form, name, unit.factor, required=message)
        except FormInvalid as invalid:
            errors.extend(invalid.errors)
    charge: dict[str, Any] = {}
    try:
        charge = _standing_charge(form, unit)
    except FormInvalid as invalid:
        errors.extend(invalid.errors)
    if errors:
        order = list(FIELDS["rate_tod_capture"])
        errors.sort(key=lambda error: order.index(error.field) if error.field in order else 99)
        raise FormInvalid(errors)
    return {
        **charge,
        "hours": [
            {
                "valid_from": times["day_from"],
                "valid_to": times["day_to"],
                "cost": costs["day_cost"],
            },
            {
                "valid_from": times["night_from"],
                "valid_to": times["night_to"],
                "cost": costs["night_cost"],
            },
        ],
    }


def _region_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"region": _region(form)}


def _surcharge(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    unit = rate_unit(data.get("currency_code"))
    errors: list[FieldError] = []
    values: dict[str, float] = {}
    for name, factor, places in (
        ("surcharge_fixed", unit.factor, None),
        ("surcharge_percentage", 1, PERCENT_DECIMALS),
    ):
        try:
            values[name] = _amount(form, name, factor, required=None, places=places)
        except FormInvalid as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise FormInvalid(errors)
    payload: dict[str, Any] = {
        "surcharge": {
            "fixed": values["surcharge_fixed"],
            "percentage": values["surcharge_percentage"],
        }
    }
    region = form.get("region", "").strip()
    if region:
        payload["region"] = region[:MAX_TEXT]
    return payload


def _tariff_name(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"tariff": {"name": _text(form, "tariff_name")}}


def _contract_term(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any] | None:
    if form.get(SKIP_FIELD):
        return None  # "until terminated": a submit with no data at all
    text = form.get("contract_end_date", "").strip()
    if not text:
        return None
    day = _date(text)
    if day is None:
        message = N_("Enter the contract end date as a real date, like 30 June 2027.")
        raise FormInvalid([FieldError("contract_end_date", "date_format_invalid", message)])
    return {"contract_end_date": f"{day.isoformat()}T00:00:00Z"}


Builder = Callable[[Mapping[str, str], Mapping[str, Any]], dict[str, Any] | None]
_BUILDERS: dict[str, Builder] = {
    "postal_address_capture": _address,
    "provider_select": _provider_select,
    "provider_name_capture": _provider_name,
    "tariff_select": _tariff_select,
    "tariff_structure_select": _structure_select,
    "rate_fixed_capture": _rate_fixed,
    "rate_tod_capture": _rate_tod,
    "region_select": _region_select,
    "surcharge_capture": _surcharge,
    "tariff_name_capture": _tariff_name,
    "contract_term_capture": _contract_term,
}


def _amount(
    form: Mapping[str, str],
    name: str,
    factor: int,
    *,
    required: str | None,
    places: int | None = None,
) -> float:
    """The number in field `name` divided by factor, as the machine's float. Empty is 0 when
    the field is optional (`required` None), else the error `required`."""
    text = form.get(name, "")
    allowed = decimals_for(factor) if places is None else min(places, decimals_for(factor))
    try:
        value = parse_number(text, allowed)
    except ValueError as error:
        code = f"{name}_invalid"
        if str(error) != "too many decimals":
            raise FormInvalid([FieldError(name, code, N_("Enter a number, like 24.5."))]) from None
        message = N_("Enter a number with at most %(places)s decimal places.")
        params = (("places", str(allowed)),)
        raise FormInvalid([FieldError(name, code, message, params=params)]) from None
    if value is None:
        if required is not None:
            raise FormInvalid([FieldError(name, f"{name}_missing", required)])
        return 0.0
    return float(value / factor)


def _time(text: str) -> str | None:
    """`HH:MM` or `HH:MM:SS` as the machine's `HH:MM:SS`; None when it is neither."""
    match = machine_inputs.TIME_OF_DAY.fullmatch(text.strip())
    if match is None:
        return None
    return f"{match.group(1)}:{match.group(2)}:{match.group(3) or '00'}"


def _date(text: str) -> date | None:
    """An ISO date (what `<input type="date">` sends) or a dotted day.month.year."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DATE_DOTTED.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


# --- render data -> field values --------------------------------------------------------------


def values(route: str, data: Mapping[str, Any], number: NumberText) -> dict[str, str]:
    """The strings this route's fields show for the machine's render data. `number` formats
    a number for an input in the page's locale (its decimal separator, no grouping)."""
    shown = dict.fromkeys(FIELDS.get(route, ()), "")
    unit = rate_unit(data.get("currency_code"))
    if route == "postal_address_capture":
        address = _mapping(data.get("postal_address"))
        shown.update({name: _str(address.get(name)) for name in ADDRESS_FIELDS})
    elif route == "provider_name_capture":
        shown["provider_name"] = _str(_mapping(data.get("provider")).get("name"))
    elif route == "tariff_select":
        shown["tariff_id"] = _str(_mapping(data.get("tariff")).get("id"))
    elif route == "rate_fixed_capture":
        shown["cost"] = amount_text(data.get("cost"), unit.factor, number)
        shown[CHARGE_FIELD] = amount_text(data.get(CHARGE_FIELD), unit.factor, number)
    elif route == "rate_tod_capture":
        shown.update(_tod_values(data, unit, number))
        shown[CHARGE_FIELD] = amount_text(data.get(CHARGE_FIELD), unit.factor, number)
    elif route == "region_select":
        shown["region"] = _str(data.get("region"))
    elif route == "surcharge_capture":
        surcharge = _mapping(data.get("surcharge"))
        shown["surcharge_fixed"] = amount_text(surcharge.get("fixed"), unit.factor, number)
        shown["surcharge_percentage"] = amount_text(surcharge.get("percentage"), 1, number)
        shown["region"] = _str(data.get("region"))
    elif route == "tariff_name_capture":
        shown["tariff_name"] = _str(_mapping(data.get("tariff")).get("name"))
    elif route == ADVANCED_ROUTE:
        shown.update(_advanced_values(data, unit, number))
    elif route == "contract_term_capture":
        end = _str(data.get("contract_end_date"))
        shown["contract_end_date"] = end[:10] if _date(end[:10]) else ""
    return shown


def _tod_values(data: Mapping[str, Any], unit: RateUnit, number: NumberText) -> dict[str, str]:
    hours = data.get("hours")
    entries = [h for h in hours if isinstance(h, Mapping)] if isinstance(hours, list) else []
    shown: dict[str, str] = {}
    for index, (prefix, defaults) in enumerate((("day", DEFAULT_DAY), ("night", DEFAULT_NIGHT))):
        entry = entries[index] if index < len(entries) else {}
        start = _time(_str(entry.get("valid_from")))
        end = _time(_str(entry.get("valid_to")))
        if start is None or end is None or start == end:  # empty or zero: the usual periods
            start, end = f"{defaults[0]}:00", f"{defaults[1]}:00"
        shown[f"{prefix}_from"] = start[:5]
        shown[f"{prefix}_to"] = end[:5]
        shown[f"{prefix}_cost"] = amount_text(entry.get("cost"), unit.factor, number)
    return shown


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- machine errors -> fields -----------------------------------------------------------------

_ADDRESS_CODE = re.compile(r"(?:.*\.)?(" + "|".join(ADDRESS_FIELDS) + r")_[a-z_]+")


# The machine names a problem's field by its path in the request's data (inputs.py).
_PATH_FIELDS: dict[str, dict[str, str]] = {
    "postal_address_capture": {f"postal_address.{name}": name for name in ADDRESS_FIELDS},
    "provider_name_capture": {"provider.name": "provider_name"},
    "rate_fixed_capture": {"cost": "cost", CHARGE_FIELD: CHARGE_FIELD},
    "rate_tod_capture": {
        CHARGE_FIELD: CHARGE_FIELD,
        **{
            f"hours[{index}].{key}": f"{period}_{name}"
            for index, period in enumerate(("day", "night"))  # the order _rate_tod sends
            for key, name in (("valid_from", "from"), ("valid_to", "to"), ("cost", "cost"))
        },
    },
    "surcharge_capture": {
        "surcharge.fixed": "surcharge_fixed",
        "surcharge.percentage": "surcharge_percentage",
    },
    "tariff_name_capture": {"tariff.name": "tariff_name"},
    "contract_term_capture": {"contract_end_date": "contract_end_date"},
}


def field_of(route: str, code: str, form: Mapping[str, str], path: str | None = None) -> str | None:
    """The field a machine error is about on this route (None: the page as a whole): the
    one at `path` in the request's data, when the machine names it; else the code's."""
    named = _PATH_FIELDS.get(route, {}).get(path or "")
    if named is not None:
        return named
    if route == "postal_address_capture":
        match = _ADDRESS_CODE.fullmatch(code)
        return match.group(1) if match else None
    if route == "rate_tod_capture":
        return _tod_field(code, form)
    if code.startswith(("region", "market_region")):
        if route == "region_select" or form.get("region") is not None:
            return "region"
        return None
    if route == "surcharge_capture":
        if code.startswith(("surcharge_percentage", "percentage")):
            return "surcharge_percentage"
        if code.startswith(("surcharge", "fixed", "cost")):
            return "surcharge_fixed"
        return None
    simple = {
        "provider_select": ("provider", "provider_id"),
        "provider_name_capture": ("provider", "provider_name"),
        "tariff_select": ("tariff", "tariff_id"),
        "tariff_structure_select": ("options", "structure"),
        "rate_fixed_capture": ("cost", "cost"),
        "tariff_name_capture": ("tariff", "tariff_name"),
        "contract_term_capture": ("", "contract_end_date"),
    }
    prefix, field = simple.get(route, (None, None))
    if prefix is None or not code.startswith(prefix):
        return None
    return field


def _tod_field(code: str, form: Mapping[str, str]) -> str:
    def minutes(name: str) -> str | None:
        return _time(form.get(name, ""))

    if code.startswith("valid_from"):
        return "day_from"
    if code.startswith("valid_to"):
        return "day_to"
    if code.startswith(("gap", "incomplete", "overlap")):
        # The day must end when the night starts, and the night end when the day starts.
        if minutes("day_to") != minutes("night_from"):
            return "day_to"
        if minutes("night_to") != minutes("day_from"):
            return "night_to"
        return "day_from"
    if code.startswith("cost"):
        for name in ("day_cost", "night_cost"):
            try:
                value = parse_number(form.get(name, ""))
            except ValueError:
                return name
            if value is None or value <= 0:
                return name
        return "day_cost"
    return "day_from"


# --- advanced_tariff_capture: seasons x day types x time windows -------------------------------
#
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
FIELDS[ADVANCED_ROUTE] = ADVANCED_FIELDS


def _advanced(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    """The grid as `data.schedule`; every problem (the form's, then the schedule's, found by
    the machine's own check) at its field, in the page's language (`data["lang"]`)."""
    factor = rate_unit(data.get("currency_code")).factor
    errors: list[FieldError] = []
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
                except FormInvalid as invalid:
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
            errors.append(FieldError(f"s{season}_from", "months_missing", message, params=number))
        if not rules:
            message = N_("Enter the times and rates of season %(number)s.")
            field = f"s{season}_all_0_from"
            errors.append(FieldError(field, "hours_missing", message, params=number))
        places[f"{at}.months"] = f"s{season}_from"
        schedule.append({"months": months or ["All"], "days_and_hours": rules})
    if not schedule:
        message = N_("Enter the times and rates of your tariff.")
        errors.append(FieldError("s0_from", "schedule_missing", message))
    if errors:
        raise FormInvalid(errors)
    _, problems = machine_advanced.check(schedule)
    if problems:
        raise FormInvalid([_located(p, places, data.get("lang")) for p in problems])
    return {"schedule": schedule}


def _window_tiers(name: str, texts: Mapping[str, str], factor: int) -> list[dict[str, Any]]:
    """A window's rate tiers: its rate, or its rate up to `kwh` and `above` beyond (blank
    amounts as None, for the schedule's check to name)."""
    errors: list[FieldError] = []
    amounts: dict[str, float | None] = {}
    for part, code in (("rate", "fixed"), ("kwh", "to_kwh"), ("above", "fixed")):
        try:
            amount = _amount(texts, part, 1 if part == "kwh" else factor, required=None)
        except FormInvalid as invalid:
            field = f"{name}_{part}"
            errors += [
                FieldError(field, f"{code}_invalid", e.message, params=e.params)
                for e in invalid.errors
            ]
            continue
        amounts[part] = amount if texts[part] else None
    if errors:
        raise FormInvalid(errors)
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


def _located(problem: machine_advanced.Problem, places: Mapping[str, str], lang: Any) -> FieldError:
    """The problem in the page's language (month and day names too), at the field it is
    about: its path, or the nearest enclosing one the grid has (None: the page)."""
    from tariffconnect.connect.web import i18n  # i18n imports this module

    path = problem.field
    while path and path not in places:
        path = re.sub(r"(\.[a-z_]+|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
    field = places.get(path) if path else None
    if problem.text == "%(reason)s" or lang is None:  # the tariffs' own words
        return FieldError(field, problem.code, problem.message, translated=False)

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
    return FieldError(field, problem.code, message, translated=False)


def _advanced_values(data: Mapping[str, Any], unit: RateUnit, number: NumberText) -> dict[str, str]:
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
            days = _mapping(rule).get("days")
            key = keys.get(days[0]) if isinstance(days, list) and len(days) == 1 else None
            hours = _mapping(rule).get("hours")
            if key is None or not isinstance(hours, list):
                continue
            for window, hour in enumerate(hours[:ADVANCED_WINDOWS]):
                shown.update(
                    _window_values(f"s{season}_{key}_{window}", _mapping(hour), unit, number)
                )
    return shown


def _window_values(
    name: str, hour: Mapping[str, Any], unit: RateUnit, number: NumberText
) -> dict[str, str]:
    tiers = (
        [_mapping(t) for t in hour.get("rate") or ()] if isinstance(hour.get("rate"), list) else []
    )
    first = tiers[0] if tiers else {}
    rate = amount_text(first.get("fixed"), unit.factor, number)
    if not rate and len(tiers) < 2:
        return {}  # no rate yet (the page's default): a blank row
    shown = {
        f"{name}_from": _str(hour.get("valid_from"))[:5],
        f"{name}_to": _str(hour.get("valid_to"))[:5],
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


_BUILDERS[ADVANCED_ROUTE] = _advanced
