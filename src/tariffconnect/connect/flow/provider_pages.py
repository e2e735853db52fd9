"""The provider pages, and where a chosen provider leads: its auth module (a DIRECT
connection, connect/flow/direct.py), else its library tariffs or the manual structures."""

from __future__ import annotations

from typing import Any

from tariffconnect.connect.flow import inputs
from tariffconnect.connect.flow.context import Flow
from tariffconnect.connect.flow.state import Draft
from tariffconnect.core.errors import invalid
from tariffconnect.integrations import bindings
from tariffconnect.market import sources as market
from tariffconnect.providers import catalogue
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.tariffs import library

# The customer is at a DIRECT provider's auth module (connect/flow/direct.py).
AUTH_MODULE = "auth_module"


def offered(flow: Flow) -> list[dict[str, Any]]:
    """The catalogue's providers of the address; then, in test mode, the Sandbox."""
    found = catalogue.search(country_code=flow.location.country_code, state=flow.location.state)
    listed = [flow.provider(p.id) for p in sorted(found, key=lambda p: p.display_name.casefold())]
    if not flow.connect_session.live_mode:
        listed.append(flow.provider(SANDBOX_PROVIDER_ID))
    return listed


def render_select(flow: Flow) -> dict[str, Any]:
    return {"providers": offered(flow), "postal_address": flow.postal_address()}


def submit_select(flow: Flow, data: dict[str, Any] | None) -> str:
    provider_id = inputs.section(data or {}, "provider").get("id")
    if not provider_id:
        raise invalid("provider_id_missing", "Please choose your provider.")
    if not isinstance(provider_id, str) or provider_id not in {p["id"] for p in offered(flow)}:
        raise invalid("provider_id_invalid", "That provider does not serve this address.")
    flow.state.draft = Draft(provider_id=str(provider_id))
    return after_provider(flow)


def after_provider(flow: Flow) -> str:
    """The provider's auth module when it has one (a binding or a built-in adapter), else the
    library or manual path."""
    provider_id = flow.state.draft.provider_id or ""
    if bindings.direct_route(flow.db, provider_id, live_mode=flow.connect_session.live_mode):
        return AUTH_MODULE
    return after_direct(flow)


def after_direct(flow: Flow) -> str:
    """The library or manual path of the chosen provider (also where DISMISS_DIRECT leads)."""
    return "tariff_select" if library_tariffs(flow) else "tariff_structure_select"


def library_tariffs(flow: Flow) -> list[library.LibraryTariff]:
    """The chosen provider's library tariffs of this element (direction and type), of the
    customer's region where the entries are regional and the region is known; all regions'
    otherwise (the hosted page asks first, library_regions)."""
    element = _element_tariffs(flow)
    letter = market.gsp_letter(library_region(flow))
    if letter is None:
        return element
    return [t for t in element if not is_regional(t) or t.region == letter]


def library_regions(flow: Flow) -> list[str]:
    """The regions the provider's regional entries of this element are for, in the market
    data's order ([] when none is regional): what a customer may be asked to choose from."""
    letters = {t.region for t in _element_tariffs(flow) if is_regional(t)}
    return [
        r for r in market.regions(flow.location.country_code) if market.gsp_letter(r) in letters
    ]


def library_region(flow: Flow) -> str | None:
    """The customer's region: the one they chose (here or for market prices), else the one
    their post code settles (the GSP rules of market_sources.json); None when not certain."""
    if flow.state.draft.region is not None:
        return flow.state.draft.region
    loc = flow.location
    return market.region_for(loc.country_code, loc.post_code, loc.state)


def is_regional(tariff: library.LibraryTariff) -> bool:
    """A synced entry for one GSP region (its `region` the group letter, as Octopus's are)."""
    return tariff.source is not None and market.gsp_region(tariff.region) is not None


def _element_tariffs(flow: Flow) -> list[library.LibraryTariff]:
    return [
        t
        for t in library.search(
            provider_id=flow.state.draft.provider_id,
            country_code=flow.location.country_code,
            session=flow.db,
        )
        if (t.tariff_direction, t.tariff_type) == (flow.direction, flow.tariff_type)
    ]


def render_name(flow: Flow) -> dict[str, Any]:
    return {
        "provider": {"name": flow.state.draft.provider_name or ""},
        "postal_address": flow.postal_address(),
    }


def submit_name(flow: Flow, data: dict[str, Any] | None) -> str:
    given = inputs.section(data or {}, "provider").get("name")
    flow.state.draft = Draft(provider_name=inputs.name(given, "provider_name", "provider's name"))
    return "tariff_structure_select"
