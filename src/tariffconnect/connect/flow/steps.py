"""The pages of the flow: what each shows (`render`) and where each answer leads (`submit`,
`actions`). A handler answers the next route, or `END` to send the customer to the callback.

The order (docs/connect-flow.md): address → provider → a library tariff, or a structure
(fixed, day & night, market) with its rates → name → contract term → connected → summary.
A provider with an auth module (or a built-in adapter) leads to `AUTH_MODULE` instead: the
customer logs in there (connect/flow/direct.py) and returns to returning.py's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tariffconnect.connect import service as sessions
from tariffconnect.connect import tokens
from tariffconnect.connect.flow import (
    advanced,
    connecting,
    describe,
    inputs,
    provider_pages,
    summary,
)
from tariffconnect.connect.flow.context import Flow, pending_location
from tariffconnect.connect.flow.protocol import ADDRESS_FIELDS, STRUCTURE_ALIASES
from tariffconnect.connect.flow.state import Draft
from tariffconnect.connect.tokens import prefilled_address
from tariffconnect.core.errors import invalid
from tariffconnect.locations import address as addresses
from tariffconnect.locations import service as locations
from tariffconnect.locations.schemas import LocationUpdate
from tariffconnect.market import sources as market
from tariffconnect.providers import catalogue
from tariffconnect.tariffs import library

END = "session_redirect"
AUTH_MODULE = provider_pages.AUTH_MODULE
ADDRESS_REQUIRED = inputs.ADDRESS_REQUIRED
STRUCTURES = ("FIXED", "TIME_OF_DAY", "MARKET", "ADVANCED")

Handler = Callable[[Flow], str]


@dataclass(frozen=True)
class Step:
    route: str
    render: Callable[[Flow], dict[str, Any]]
    submit: Callable[[Flow, dict[str, Any] | None], str]
    # Actions of this page beyond BACK and CLOSE, which every page offers.
    actions: dict[str, Handler] = field(default_factory=dict)
    back: bool = True  # BACK is offered (not on tariff_connection_pending)
    # What leaving this page by BACK undoes (tariff_connection_failed: the failed connection).
    on_back: Callable[[Flow], None] | None = None


# -- address ---------------------------------------------------------------------------------


def address_complete(flow: Flow) -> bool:
    """Connect has the address it needs. A session without a location has it once captured,
    or once its token's prefill names the city and country (taken as captured here)."""
    if not flow.has_location:
        prefill = prefilled_address(flow.connect_session) or {}
        if flow.state.address is None and prefill.get("city") and prefill.get("country_code"):
            _capture(flow, addresses.validate(**{k: prefill.get(k) for k in ADDRESS_FIELDS}))
        return flow.state.address is not None
    address = flow.postal_address()
    return all(address[name] for name in ADDRESS_REQUIRED)


def _capture(flow: Flow, checked: addresses.Address) -> None:
    """Keep the address of a session without a location until the flow creates it."""
    flow.state.address = asdict(checked)
    flow.location = pending_location(flow.connect_session, flow.state.address)


def _render_address(flow: Flow) -> dict[str, Any]:
    return {"postal_address": flow.postal_address()}


def _submit_address(flow: Flow, data: dict[str, Any] | None) -> str:
    given, checked = inputs.postal_address(data or {})
    if not flow.has_location:
        _capture(flow, checked)
        return after_address(flow)
    locations.update(
        flow.db,
        scope=flow.scope,
        location_id=flow.location.id,
        data=LocationUpdate(postal_address=given),
    )
    return after_address(flow)


def after_address(flow: Flow) -> str:
    """The provider page, unless the app named the provider when it created the session (and
    that provider serves the address): then the page after it. Once the session completed,
    its provider_id is the customer's own choice, so they are asked again."""
    preset = flow.connect_session.provider_id
    named_by_app = flow.connect_session.status != sessions.COMPLETED
    if named_by_app and preset in {p["id"] for p in provider_pages.offered(flow)}:
        flow.state.draft = Draft(provider_id=preset)
        return provider_pages.after_provider(flow)
    return "provider_select"


# -- library tariffs -------------------------------------------------------------------------


def _describe(flow: Flow, tariff: library.LibraryTariff) -> str:
    """Its rates and hours, so a customer recognises their tariff: in English, with the
    numbers and clock of the location's country (the hosted pages say it in theirs)."""
    country = flow.location.country_code
    locale = describe.english(country)
    return describe.library_tariff(tariff, locale=locale, country_code=country, gettext=str)


def _render_tariff_select(flow: Flow) -> dict[str, Any]:
    region = provider_pages.library_region(flow)
    rendered: dict[str, Any] = {
        "provider": flow.provider(),
        "postal_address": flow.postal_address(),
        "tariffs": [
            {"id": t.id, "name": _library_name(t, region), "description": _describe(flow, t)}
            for t in provider_pages.library_tariffs(flow)
        ],
    }
    regions = provider_pages.library_regions(flow)
    if regions:  # regional entries: the region they are listed for, or the choice of one
        rendered["regions"], rendered["region"] = regions, region
    return rendered


def _library_name(tariff: library.LibraryTariff, region: str | None) -> str:
    """Its name; with its region's when every region's entries are listed (region unknown)."""
    if region is None and provider_pages.is_regional(tariff):
        return f"{tariff.display_name} ({market.gsp_region(tariff.region)})"
    return tariff.display_name


def _submit_tariff_select(flow: Flow, data: dict[str, Any] | None) -> str:
    given = data or {}
    if given.get("region") is not None:  # the customer names their region: list its tariffs
        region = given["region"]
        if not isinstance(region, str) or region not in provider_pages.library_regions(flow):
            raise invalid("library_region_invalid", "Choose your region from the list.")
        flow.state.draft.region = region
        if given.get("tariff") is None:
            return "tariff_select"
    tariff_id = inputs.section(given, "tariff").get("id")
    if not tariff_id:
        raise invalid("tariff_id_missing", "Please choose your tariff.")
    offered = {t.id for t in provider_pages.library_tariffs(flow)}
    if not isinstance(tariff_id, str) or tariff_id not in offered:
        raise invalid("tariff_id_invalid", "That tariff is not offered here.")
    draft = flow.state.draft
    draft.library_tariff_id, draft.structure = str(tariff_id), None
    return _after_name(flow)


# -- tariff structure and rates --------------------------------------------------------------


def _options(flow: Flow) -> list[str]:
    """FIXED and TIME_OF_DAY always; MARKET for energy (import or export) where a market is
    known, never for grid fees (a network charge does not follow the market); ADVANCED when
    the session's route_options enable it."""
    country = flow.location.country_code
    market_offered = not flow.grid_fees and market.has_market(country)
    # busbar's route option, or anode's switch among the token's actions.
    advanced_on = any(
        tokens.option(flow.connect_session, group, "advanced_tariff_capture")
        for group in ("route_options", "actions")
    )
    return [
        s
        for s in STRUCTURES
        if (s != "MARKET" or market_offered) and (s != "ADVANCED" or advanced_on)
    ]


def _render_structure(flow: Flow) -> dict[str, Any]:
    return {"provider": flow.provider(), "options": _options(flow)}


def _choose_structure(flow: Flow, choice: Any) -> str:
    structure = STRUCTURE_ALIASES.get(str(choice), str(choice))
    if structure not in _options(flow):
        raise invalid("options_invalid", f"Choose one of {', '.join(_options(flow))}.")
    draft = flow.state.draft
    draft.structure, draft.library_tariff_id = structure, None
    if structure == "FIXED":
        return "rate_fixed_capture"
    if structure == "TIME_OF_DAY":
        return "rate_tod_capture"
    if structure == "ADVANCED":
        return "advanced_tariff_capture"
    loc = flow.location
    if market.regions(loc.country_code):
        draft.region = draft.region or market.region_for(loc.country_code, loc.post_code, loc.state)
        if draft.region is None:
            return "region_select"
    return "surcharge_capture"


def _submit_structure(flow: Flow, data: dict[str, Any] | None) -> str:
    options = (data or {}).get("options")
    if not isinstance(options, list) or len(options) != 1:
        raise invalid("options_invalid", "Choose one tariff structure in data.options.")
    return _choose_structure(flow, options[0])


def _structure_action(structure: str) -> Handler:
    return lambda flow: _choose_structure(flow, structure)


def _render_fixed(flow: Flow) -> dict[str, Any]:
    return {
        "provider": flow.provider(),
        "currency_code": flow.location.currency_code,
        "cost": flow.state.draft.cost or 0,
        "standing_charge": flow.state.draft.standing_charge,
    }


def _submit_fixed(flow: Flow, data: dict[str, Any] | None) -> str:
    rate, charge = inputs.fixed_rate(data or {}, charged=flow.direction != "EXPORT")
    draft = flow.state.draft
    draft.cost, draft.standing_charge = float(rate), None if charge is None else float(charge)
    return _after_rates(flow)


DEFAULT_HOURS = [
    {"cost": 0, "valid_from": "07:00:00", "valid_to": "23:00:00"},
    {"cost": 0, "valid_from": "23:00:00", "valid_to": "07:00:00"},
]


def _render_tod(flow: Flow) -> dict[str, Any]:
    return {
        "provider": flow.provider(),
        "currency_code": flow.location.currency_code,
        "hours": flow.state.draft.hours or DEFAULT_HOURS,
        "standing_charge": flow.state.draft.standing_charge,
    }


def _submit_tod(flow: Flow, data: dict[str, Any] | None) -> str:
    hours, charge = inputs.tod_rates(data or {}, charged=flow.direction != "EXPORT")
    draft = flow.state.draft
    draft.hours, draft.standing_charge = hours, None if charge is None else float(charge)
    return _after_rates(flow)


def _submit_advanced(flow: Flow, data: dict[str, Any] | None) -> str:
    advanced.capture(flow, data)
    return _after_rates(flow)


def _render_region(flow: Flow) -> dict[str, Any]:
    return {
        "provider": flow.provider(),
        "regions": market.regions(flow.location.country_code),
        "region": flow.state.draft.region,
    }


def _region(flow: Flow, value: Any) -> str:
    regions = market.regions(flow.location.country_code)
    if not isinstance(value, str) or value not in regions:
        raise invalid("market_region_invalid", "Choose your region from the list.")
    return value


def _submit_region(flow: Flow, data: dict[str, Any] | None) -> str:
    flow.state.draft.region = _region(flow, (data or {}).get("region"))
    return "surcharge_capture"


def _render_surcharge(flow: Flow) -> dict[str, Any]:
    draft = flow.state.draft
    return {
        "provider": flow.provider(),
        "currency_code": flow.location.currency_code,
        "surcharge": {
            "fixed": draft.surcharge_fixed or 0,
            "percentage": draft.surcharge_percentage or 0,
        },
        "region": draft.region,
    }


def _submit_surcharge(flow: Flow, data: dict[str, Any] | None) -> str:
    given = data or {}
    fixed, percentage = inputs.surcharge(given, negative_fixed=flow.market_export)
    draft = flow.state.draft
    if given.get("region") is not None:
        draft.region = _region(flow, given["region"])
    if market.source_for(flow.location.country_code, draft.region) is None:
        raise invalid("geo_location_not_found", "No market prices are known for this address.")
    draft.surcharge_fixed, draft.surcharge_percentage = float(fixed), float(percentage)
    return _after_rates(flow)


# -- name, contract, connection --------------------------------------------------------------

# By summary.structure_kind: a peak window is not "day & night".
STRUCTURE_NAMES = {
    summary.FIXED: "fixed rate",
    summary.DAY_NIGHT: "day & night",
    summary.TIME_OF_USE: "time of use",
    summary.MARKET: "market-linked",
    "ADVANCED": "seasonal",
}


def _shown(flow: Flow, page: str) -> bool:
    """An optional page is shown unless the token's `route_options` turn it off."""
    return tokens.option(flow.connect_session, "route_options", page) is not False


def _after_rates(flow: Flow) -> str:
    """The name page; or, turned off, the page after it (the name then is the suggested)."""
    if _shown(flow, "tariff_name_capture"):
        return "tariff_name_capture"
    flow.state.draft.tariff_name = flow.state.draft.tariff_name or _suggested_name(flow)
    return _after_name(flow)


def _after_name(flow: Flow) -> str:
    """The contract term page; or, turned off or the provider a regulated utility (whose
    tariffs have no contract to end), the tariff connected until terminated."""
    provider = catalogue.get(flow.state.draft.provider_id or "")
    regulated = provider is not None and provider.regulated
    if _shown(flow, "contract_term_capture") and not regulated:
        return "contract_term_capture"
    connecting.connect(flow, contract_end=None)
    return "tariff_summary"


def _suggested_name(flow: Flow) -> str:
    provider = flow.provider()["display_name"]
    draft = flow.state.draft
    structure = draft.structure or ""
    if structure == "TIME_OF_DAY":
        typed = [(h["valid_from"], h["valid_to"], h["cost"]) for h in draft.hours or ()]
        structure = summary.kind_of_days([typed])
    kind = STRUCTURE_NAMES.get(structure, "")
    return f"{provider} {kind}".strip()


def _render_name(flow: Flow) -> dict[str, Any]:
    name = flow.state.draft.tariff_name or _suggested_name(flow)
    return {"provider": flow.provider(), "tariff": {"name": name}}


def _submit_name(flow: Flow, data: dict[str, Any] | None) -> str:
    given = inputs.section(data or {}, "tariff").get("name")
    flow.state.draft.tariff_name = inputs.name(given, "tariff_name", "tariff's name")
    return _after_name(flow)


def _render_contract(flow: Flow) -> dict[str, Any]:
    return {"provider": flow.provider(), "contract_end_date": flow.state.draft.contract_end_date}


def _submit_contract(flow: Flow, data: dict[str, Any] | None) -> str:
    end, start = inputs.contract(data, now=flow.now)
    flow.state.draft.contract_end_date = None if end is None else end.isoformat()
    connecting.connect(flow, contract_end=end, contract_start=start)
    return "tariff_summary"


# -- summary ---------------------------------------------------------------------------------


def render_summary(flow: Flow) -> dict[str, Any]:
    """The location's connected tariff (the machine never shows this page without one)."""
    connected = flow.connected_tariffs()
    tariff = flow.connected_tariff(connected)
    assert tariff is not None
    return {
        "provider": flow.provider(tariff.provider_id, typed_name=tariff.provider_name),
        "currency_code": flow.location.currency_code,
        "country_code": flow.location.country_code,
        "timezone": flow.location.timezone,
        "market_rates_source": tariff.market_rates,
        "connection_type": tariff.connection_type,
        "tariff": summary.tariff_part(tariff),
        "rates": summary.rates(
            flow.db,
            location=flow.location,
            now=flow.now,
            direction=flow.direction,
            tariff_type=flow.tariff_type,
            connected=connected,
        ),
    }


def _no_summary_submit(flow: Flow, data: dict[str, Any] | None) -> str:
    raise invalid("action_missing", "Answer this page with an action: EDIT, DISCONNECT or CLOSE.")


def _edit(flow: Flow) -> str:
    """Capture again from the provider; confirming replaces the connected tariff."""
    # A new DIRECT login starts afresh; the connected one stays until a new consent.
    flow.state.draft, flow.state.direct, flow.state.history = Draft(), None, []
    return "provider_select"


def _disconnect(flow: Flow) -> str:
    connecting.disconnect(flow)
    return END


STEPS: dict[str, Step] = {
    step.route: step
    for step in (
        Step("postal_address_capture", _render_address, _submit_address),
        Step(
            "provider_select",
            provider_pages.render_select,
            provider_pages.submit_select,
            {
                "PROVIDER_MISSING": lambda flow: "provider_name_capture",
                "ADDRESS_CHANGE": lambda flow: "postal_address_capture",
            },
        ),
        Step(
            "provider_name_capture",
            provider_pages.render_name,
            provider_pages.submit_name,
            {"ADDRESS_CHANGE": lambda flow: "postal_address_capture"},
        ),
        Step(
            "tariff_select",
            _render_tariff_select,
            _submit_tariff_select,
            {
                "TARIFF_MISSING": lambda flow: "tariff_structure_select",
                "ADDRESS_CHANGE": lambda flow: "postal_address_capture",
            },
        ),
        Step(
            "tariff_structure_select",
            _render_structure,
            _submit_structure,
            {structure: _structure_action(structure) for structure in STRUCTURES},
        ),
        Step("rate_fixed_capture", _render_fixed, _submit_fixed),
        Step("rate_tod_capture", _render_tod, _submit_tod),
        Step("advanced_tariff_capture", advanced.render, _submit_advanced),
        Step("region_select", _render_region, _submit_region),
        Step("surcharge_capture", _render_surcharge, _submit_surcharge),
        Step("tariff_name_capture", _render_name, _submit_name),
        Step("contract_term_capture", _render_contract, _submit_contract),
        Step(
            "tariff_summary",
            render_summary,
            _no_summary_submit,
            {"EDIT": _edit, "WRONG_TARIFF": _edit, "DISCONNECT": _disconnect},
        ),
    )
}


def offered_actions(flow: Flow, step: Step) -> list[str]:
    """The actions the page lists: its own (MARKET only where there is a market, ADVANCED only
    when the session asks for it), then BACK and CLOSE."""
    own = [a for a in step.actions if a not in STRUCTURES or a in _options(flow)]
    return [*own, *(["BACK"] if step.back else []), "CLOSE"]
