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
from datetime import date
from typing import Any

from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.flow.money import RateUnit, rate_unit
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS, FlowRequest
from tariffconnect.connect.web import advanced_form, fields
from tariffconnect.connect.web.numbers import (
    PERCENT_DECIMALS,
    NumberText,
    amount_text,
    parse_number,
)

# Fields every step's forms carry.
ROUTE_FIELD = "route"
CSRF_FIELD = "csrf_token"
ACTION_FIELD = "action"
SKIP_FIELD = "skip"  # contract_term_capture's "until terminated" button
ASKED_FIELD = "asked"  # tariff_select's "which question was this" (the region before a tariff)

TOD_FIELDS = ("day_from", "day_to", "day_cost", "night_from", "night_to", "night_cost")
CHARGE_FIELD = "standing_charge"  # optional on both rate pages, per day in the minor unit
FIELDS: dict[str, tuple[str, ...]] = {
    "postal_address_capture": ADDRESS_FIELDS,
    "provider_select": ("provider_id",),
    "provider_name_capture": ("provider_name",),
    "tariff_select": ("tariff_id", "region", ASKED_FIELD),
    "tariff_structure_select": ("structure",),
    "rate_fixed_capture": ("cost", CHARGE_FIELD),
    "rate_tod_capture": (*TOD_FIELDS, CHARGE_FIELD),
    "region_select": ("region",),
    "surcharge_capture": ("surcharge_fixed", "surcharge_percentage", "region"),
    "tariff_name_capture": ("tariff_name",),
    "contract_term_capture": ("contract_end_date", SKIP_FIELD),
    advanced_form.ADVANCED_ROUTE: advanced_form.ADVANCED_FIELDS,
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
    render data (the currency). Raises fields.FormInvalid for input that cannot be sent."""
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
            raise fields.FormInvalid([fields.FieldError(name, code, message)])
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
        raise fields.FormInvalid(
            [fields.FieldError("provider_name", "provider_name_missing", message)]
        )
    return {"provider": {"name": name}}


def _tariff_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    if form.get(ASKED_FIELD) == "region":  # the page asked for the region first
        return {"region": _region(form)}
    return {"tariff": {"id": _tariff(form)}}


def _structure_select(form: Mapping[str, str], _data: Mapping[str, Any]) -> dict[str, Any]:
    return {"options": [_structure(form).upper()]}


def _rate_fixed(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    unit = rate_unit(data.get("currency_code"))
    errors: list[fields.FieldError] = []
    payload: dict[str, Any] = {}
    try:
        payload["cost"] = fields.amount(
            form, "cost", unit.factor, required=N_("Enter your price per kWh.")
        )
    except fields.FormInvalid as invalid:
        errors.extend(invalid.errors)
    try:
        payload.update(_standing_charge(form, unit))
    except fields.FormInvalid as invalid:
        errors.extend(invalid.errors)
    if errors:
        raise fields.FormInvalid(errors)
    return payload


def _standing_charge(form: Mapping[str, str], unit: RateUnit) -> dict[str, Any]:
    """`standing_charge` for the request when one was entered (none when the field is empty:
    the tariff then has no standing charge)."""
    if not form.get(CHARGE_FIELD, "").strip():
        return {}
    return {CHARGE_FIELD: fields.amount(form, CHARGE_FIELD, unit.factor, required=None)}


def _rate_tod(form: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, Any]:
    unit = rate_unit(data.get("currency_code"))
    errors: list[fields.FieldError] = []
    times: dict[str, str] = {}
    costs: dict[str, float] = {}
    time_messages = {
        "day_from": N_("Enter the time the day rate starts, like 07:00."),
        "day_to": N_("Enter the time the day rate ends, like 23:00."),
        "night_from": N_("Enter the time the night rate starts, like 23:00."),
        "night_to": N_("Enter the time the night rate ends, like 07:00."),
    }
    for name, message in time_messages.items():
        value = fields.clock_time(form.get(name, ""))
        if value is None:
            errors.append(fields.FieldError(name, "time_invalid", message))
        else:
            times[name] = value
    cost_messages = {
        "day_cost": N_("Enter your day rate."),
        "night_cost": N_("Enter your night rate."),
    }
    for name, message in cost_messages.items():
        try:
            costs[name] = fields.amount(form, name, unit.factor, required=message)
        except fields.FormInvalid as invalid:
            errors.extend(invalid.errors)
    charge: dict[str, Any] = {}
    try:
        charge = _standing_charge(form, unit)
    except fields.FormInvalid as invalid:
        errors.extend(invalid.errors)
    if errors:
        order = list(FIELDS["rate_tod_capture"])
        errors.sort(key=lambda error: order.index(error.field) if error.field in order else 99)
        raise fields.FormInvalid(errors)
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
    errors: list[fields.FieldError] = []
    values: dict[str, float] = {}
    for name, factor, places in (
        ("surcharge_fixed", unit.factor, None),
        ("surcharge_percentage", 1, PERCENT_DECIMALS),
    ):
        try:
            values[name] = fields.amount(form, name, factor, required=None, places=places)
        except fields.FormInvalid as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise fields.FormInvalid(errors)
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
        raise fields.FormInvalid(
            [fields.FieldError("contract_end_date", "date_format_invalid", message)]
        )
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
    advanced_form.ADVANCED_ROUTE: advanced_form.to_data,
}


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
        address = fields.mapping_of(data.get("postal_address"))
        shown.update({name: fields.text_of(address.get(name)) for name in ADDRESS_FIELDS})
    elif route == "provider_name_capture":
        shown["provider_name"] = fields.text_of(fields.mapping_of(data.get("provider")).get("name"))
    elif route == "tariff_select":
        shown["tariff_id"] = fields.text_of(fields.mapping_of(data.get("tariff")).get("id"))
        shown["region"] = fields.text_of(data.get("region"))
    elif route == "rate_fixed_capture":
        shown["cost"] = amount_text(data.get("cost"), unit.factor, number)
        shown[CHARGE_FIELD] = amount_text(data.get(CHARGE_FIELD), unit.factor, number)
    elif route == "rate_tod_capture":
        shown.update(_tod_values(data, unit, number))
        shown[CHARGE_FIELD] = amount_text(data.get(CHARGE_FIELD), unit.factor, number)
    elif route == "region_select":
        shown["region"] = fields.text_of(data.get("region"))
    elif route == "surcharge_capture":
        surcharge = fields.mapping_of(data.get("surcharge"))
        shown["surcharge_fixed"] = amount_text(surcharge.get("fixed"), unit.factor, number)
        shown["surcharge_percentage"] = amount_text(surcharge.get("percentage"), 1, number)
        shown["region"] = fields.text_of(data.get("region"))
    elif route == "tariff_name_capture":
        shown["tariff_name"] = fields.text_of(fields.mapping_of(data.get("tariff")).get("name"))
    elif route == advanced_form.ADVANCED_ROUTE:
        shown.update(advanced_form.values(data, unit, number))
    elif route == "contract_term_capture":
        end = fields.text_of(data.get("contract_end_date"))
        shown["contract_end_date"] = end[:10] if _date(end[:10]) else ""
    return shown


def _tod_values(data: Mapping[str, Any], unit: RateUnit, number: NumberText) -> dict[str, str]:
    hours = data.get("hours")
    entries = [h for h in hours if isinstance(h, Mapping)] if isinstance(hours, list) else []
    shown: dict[str, str] = {}
    for index, (prefix, defaults) in enumerate((("day", DEFAULT_DAY), ("night", DEFAULT_NIGHT))):
        entry = entries[index] if index < len(entries) else {}
        start = fields.clock_time(fields.text_of(entry.get("valid_from")))
        end = fields.clock_time(fields.text_of(entry.get("valid_to")))
        if start is None or end is None or start == end:  # empty or zero: the usual periods
            start, end = f"{defaults[0]}:00", f"{defaults[1]}:00"
        shown[f"{prefix}_from"] = start[:5]
        shown[f"{prefix}_to"] = end[:5]
        shown[f"{prefix}_cost"] = amount_text(entry.get("cost"), unit.factor, number)
    return shown


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
    if code.startswith(("region", "market_region", "library_region")):
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
        return fields.clock_time(form.get(name, ""))

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
