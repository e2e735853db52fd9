"""What a template gets: each step's context, made from the machine's render data.

Render data is read defensively (a field of the wrong type is left out, never an error),
and everything shown is formatted for the visit's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from tariffconnect.connect.flow import describe, money
from tariffconnect.connect.flow.describe import N_
from tariffconnect.connect.web import chart, fields, forms, i18n
from tariffconnect.connect.web.visit import Visit
from tariffconnect.tariffs import library

TEMPLATES = frozenset(forms.FIELDS) | {
    "tariff_summary",
    "error",
    "session_redirect",
    "tariff_connection_pending",
    "tariff_connection_failed",
}
LEVEL_NAMES = {chart.LOW: N_("Low"), chart.MEDIUM: N_("Medium"), chart.HIGH: N_("High")}
DAY_NAMES = {"today": N_("Today"), "tomorrow": N_("Tomorrow")}
_LOGO_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*/providers/[A-Za-z0-9_]+/logo\.svg")


def data_of(page: Mapping[str, Any]) -> dict[str, Any]:
    """The page's render data (`data`), or nothing."""
    data = page.get("data")
    return dict(data) if isinstance(data, Mapping) else {}


def step(
    visit: Visit,
    page: Mapping[str, Any],
    *,
    errors: Sequence[fields.FieldError] = (),
    entered: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The template for the machine's `page` and its context: the fields' values (what the
    customer `entered`, when shown again), `errors`, the options and the summary."""
    route = str(page.get("route") or "")
    data = data_of(page)
    fmt = i18n.Formatter(visit.lang, _country(data))
    values = forms.values(route, data, fmt.input_number)
    values.update(entered or {})
    shown: list[dict[str, str | None]] = []
    field_errors: dict[str, str] = {}
    for error in errors:
        message = i18n.field_error_text(visit.lang, error)
        shown.append(
            {"anchor": forms.anchor(error.field) if error.field else None, "message": message}
        )
        if error.field:  # two problems of one field are both shown beside it
            earlier = field_errors.get(error.field)
            field_errors[error.field] = f"{earlier} {message}" if earlier else message
    actions = [a for a in page.get("actions") or () if isinstance(a, str)]
    context: dict[str, Any] = {
        "route": route,
        "data": data,
        "actions": actions,
        "values": values,
        "errors": shown,
        "field_errors": field_errors,
        "live_mode": page.get("live_mode") is not False,
        "provider": _provider(visit, data.get("provider")),
        "address": _address_text(data.get("postal_address"), fmt),
        "unit": fmt.rate_unit(data.get("currency_code")),
        "charge_unit": _charge_unit(fmt, data.get("currency_code")),
        "example": fmt.example(data.get("currency_code")),
        "element": element_of(page),
    }
    if route == "postal_address_capture":
        context["countries"] = i18n.countries(visit.lang.code)
    elif route == "provider_select":
        providers = [_provider(visit, item) for item in _list(data.get("providers"))]
        context["options"] = [
            {"value": p["id"], "label": p["name"], "logo": p["logo"]} for p in providers if p
        ]
    elif route == "tariff_select":
        if data.get("region") is None:  # every region's tariffs: the page asks which first
            context["region_options"] = [
                {"value": r, "label": r} for r in _list(data.get("regions")) if isinstance(r, str)
            ]
        context["options"] = [
            {"value": t.get("id"), "label": t.get("name"), "hint": _library_text(visit, t, fmt)}
            for t in _list(data.get("tariffs"))
            if isinstance(t, Mapping) and isinstance(t.get("id"), str)
        ]
    elif route in ("region_select", "surcharge_capture"):
        context["options"] = [
            {"value": r, "label": r} for r in _list(data.get("regions")) if isinstance(r, str)
        ]
    elif route == "tariff_summary":
        context["close_in_page"] = True
        context["summary"] = _summary(visit, data, fmt)
    elif route == "error":
        code = str(data.get("error_code") or "")
        context["message"] = i18n.error_text(visit.lang, code, str(data.get("error_message") or ""))
        context["code"] = code
    template = f"{route}.html" if route in TEMPLATES else "step.html"
    return template, context


def element_of(page: Mapping[str, Any]) -> str:
    """The tariff element the page speaks of, for its wording: EXPORT (what the customer is
    paid), GRID_FEES (NON_COMMODITY: network charges) or IMPORT (the energy price)."""
    if page.get("tariff_type") == "NON_COMMODITY":
        return "GRID_FEES"
    return "EXPORT" if page.get("direction") == "EXPORT" else "IMPORT"


def _charge_unit(fmt: i18n.Formatter, currency_code: Any) -> str:
    """How a standing charge is entered and shown: in the unit rates are (p, ct, or e.g. ¥)."""
    code = currency_code if isinstance(currency_code, str) else None
    return money.rate_unit(code).minor_symbol or fmt.currency_symbol(code)


def _standing_charge(
    fmt: i18n.Formatter, gettext: Callable[[str], str], charge: Any, currency: str | None
) -> str | None:
    """`53.5 p per day` for the tariff's standing charge (major units per day); None for none."""
    value = money.to_decimal(charge.get("value")) if isinstance(charge, Mapping) else None
    if value is None:
        return None
    amount = fmt.number(value * money.rate_unit(currency).factor)
    return gettext("%(amount)s per day") % {
        "amount": f"{amount}\u00a0{_charge_unit(fmt, currency)}"
    }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _country(data: Mapping[str, Any]) -> str | None:
    """The location's country (the summary's `country_code`, else the address's): times
    are written as there."""
    address = data.get("postal_address")
    found = address.get("country_code") if isinstance(address, Mapping) else None
    found = data.get("country_code", found)
    return found if isinstance(found, str) and found else None


def _library_text(visit: Visit, listed: Mapping[str, Any], fmt: i18n.Formatter) -> Any:
    """A library tariff's rates and hours in the page's language (the machine's English
    description for a tariff this release's library does not hold)."""
    tariff = library.get(str(listed["id"]))
    if tariff is None:
        return listed.get("description")
    gettext = i18n.TRANSLATIONS[visit.lang.code].gettext
    return describe.library_tariff(
        tariff, locale=fmt.locale, country_code=fmt.country_code, gettext=gettext
    )


def _provider(visit: Visit, provider: Any) -> dict[str, Any] | None:
    if not isinstance(provider, Mapping):
        return None
    name = provider.get("display_name") or provider.get("name")
    if not isinstance(name, str) or not name:
        return None
    return {
        "id": provider.get("id") if isinstance(provider.get("id"), str) else "",
        "name": name,
        "logo": _logo_src(visit, provider.get("logo_url")),
    }


def _logo_src(visit: Visit, url: Any) -> str | None:
    """A provider logo the page's CSP (img-src 'self') lets load: our own logo endpoint, as a
    path. Anything else is dropped rather than widening the policy."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) not in visit.own_origins:
        return None
    if not _LOGO_PATH.fullmatch(parts.path):
        return None
    return parts.path


def _address_text(address: Any, fmt: i18n.Formatter) -> str:
    if not isinstance(address, Mapping):
        return ""
    parts = [
        address.get(name)
        for name in ("address_line1", "address_line2", "city", "state", "post_code")
    ]
    parts.append(fmt.country(address.get("country_code")))
    return ", ".join(p for p in parts if isinstance(p, str) and p.strip())


def _summary(visit: Visit, data: Mapping[str, Any], fmt: i18n.Formatter) -> dict[str, Any]:
    """The tariff summary's view: its rates by day, each with a chart."""
    gettext = i18n.TRANSLATIONS[visit.lang.code].gettext
    tariff = data.get("tariff") if isinstance(data.get("tariff"), Mapping) else {}
    assert isinstance(tariff, Mapping)
    currency = data.get("currency_code") if isinstance(data.get("currency_code"), str) else None
    try:
        zone = ZoneInfo(str(data.get("timezone"))) if data.get("timezone") else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    rates = data.get("rates") if isinstance(data.get("rates"), Mapping) else {}
    assert isinstance(rates, Mapping)
    structure = str(tariff.get("structure_type") or "FIXED").upper()
    days: list[dict[str, Any]] = []
    for key, day_name in DAY_NAMES.items():
        entries = rates.get(key)
        periods = chart.periods(entries if isinstance(entries, list) else [], zone)
        rows = [
            {
                "start": fmt.time(period.start),
                "end": fmt.time(period.end),
                "price": fmt.rate(period.cost, currency),
                "level": gettext(LEVEL_NAMES[period.level]),
                "level_key": period.level.lower(),
            }
            for period in periods
        ]
        svg: Markup | None = None
        bars = chart.hourly(periods)
        if bars and structure != "FIXED":
            low, high = min(p.cost for p in periods), max(p.cost for p in periods)

            def bar_title(bar: chart.Period) -> str:
                level = gettext(LEVEL_NAMES[bar.level])
                span = f"{fmt.time(bar.start)}\u2013{fmt.time(bar.end)}"
                return f"{span}: {fmt.rate(bar.cost, currency)} ({level})"

            svg = chart.svg(
                bars,
                chart_id=f"chart-{key}",
                title=gettext("Prices %(day)s, %(date)s")
                % {"day": gettext(day_name).lower(), "date": fmt.date(periods[0].start)},
                description=gettext("From %(low)s to %(high)s per hour.")
                % {"low": fmt.rate(low, currency), "high": fmt.rate(high, currency)},
                bar_title=bar_title,
                hour_label=fmt.time,
            )
        days.append(
            {
                "key": key,
                "name": gettext(day_name),
                "date": fmt.date(periods[0].start) if periods else "",
                "rows": rows,
                "chart": svg,
            }
        )
    today = days[0]["rows"]
    return {
        "name": tariff.get("name") if isinstance(tariff.get("name"), str) else "",
        "structure": structure,
        "kind": str(tariff.get("structure_kind") or structure),
        "tiered": tariff.get("tiered") is True,
        "contract_end": fmt.date(tariff.get("contract_end_date")),
        "currency": currency or "",
        "fixed_rate": today[0]["price"] if today else None,
        "standing_charge": _standing_charge(fmt, gettext, tariff.get("standing_charge"), currency),
        "market": data.get("market_rates_source") is True,
        "days": days,
    }
