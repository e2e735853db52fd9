"""The Connect flow's wire protocol, as spoken by Flatpeak's reference front end.

Request:  `{route, connect_token, type: "submit", action?, data?}`.
Reply:    `{connect_token, route, type: "render", tariff_type, direction, live_mode, actions,
           data}`.
Error:    the error object, with `context: "connect.<route>"` and the `connect_token`.

Older generations of the protocol used other names for some routes and for the token
(`session_id`); they are accepted on input. The current names are emitted, except to a
session created in Flatpeak's zero release, which is answered in zero's route names
(`for_client`); and a session a client left with an early route name ends in
`session_complete`, as the early generations ended.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tariffconnect.core import versions
from tariffconnect.core.errors import ApiError, Problem, error_object, invalid

# Route names of earlier protocol generations, accepted on input.
ROUTE_ALIASES = {
    "session_restore": "session_start",
    "start_tariff": "session_start",
    "start-tariff": "session_start",
    "postal_address_input": "postal_address_capture",
    "market_surcharge_capture": "surcharge_capture",
    "summary_fixed_confirm": "tariff_summary",
    "summary_tou_confirm": "tariff_summary",
    "connection_pending": "tariff_connection_pending",
    "summary_tariff_in_progress": "tariff_connection_pending",
    "connection_failed": "tariff_connection_failed",
    "summary_tariff_failed": "tariff_connection_failed",
}
# The current route names zero's pages go by (the summary is named by its structure).
ZERO_ROUTES = {
    "surcharge_capture": "market_surcharge_capture",
    "tariff_connection_failed": "summary_tariff_failed",
}
# The keys of `postal_address`, on the pages that show or take one.
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "post_code", "country_code")
# Tariff structure names of the earliest generation.
STRUCTURE_ALIASES = {"FIXEDRATE": "FIXED", "TIMEOFUSE": "TIME_OF_DAY"}


class FlowRequest(BaseModel):
    """One submit. `route` is the page being answered (after alias mapping)."""

    model_config = ConfigDict(extra="ignore")

    route: str = Field(min_length=1, max_length=64)
    connect_token: str = Field(min_length=1, max_length=64)
    type: str | None = None
    action: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] | None = None
    # The route as the client named it (an early alias, say), before mapping.
    asked_route: str | None = None


def parse(body: bytes) -> FlowRequest:
    """The request in `body`, whatever Content-Type came with it (the reference front end sends
    none, so browsers label it text/plain)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise invalid("data_json_invalid", "The request body must be a JSON object.") from None
    if not isinstance(raw, dict):
        raise invalid("data_json_invalid", "The request body must be a JSON object.")
    if "connect_token" not in raw and "session_id" in raw:
        raw["connect_token"] = raw["session_id"]
    if raw.get("data") is None:
        raw.pop("data", None)
    try:
        request = FlowRequest.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "data"
        code = f"{field}_missing" if first["type"] == "missing" else f"{field}_invalid"
        raise invalid(code, f"{field}: {first['msg']}") from None
    request.asked_route = request.route
    request.route = ROUTE_ALIASES.get(request.route, request.route)
    if request.action is not None:
        action = request.action.upper()
        request.action = STRUCTURE_ALIASES.get(action, action)
    return request


def for_client(
    page: dict[str, Any], *, release: str, ended: bool, asked_route: str | None
) -> dict[str, Any]:
    """The page as a JSON API client of the session's release expects it: for zero, in
    zero's route names (the summary as `summary_fixed_confirm` or `summary_tou_confirm`, with
    SAVE); for anode, with the top-level `type` its pages carry (the tariff type); and the
    end as `session_complete` (`callback_uri` and `callback_url`) for a zero session or a
    client that spoke an early route name."""
    zero = release == versions.ZERO
    if release == versions.ANODE:
        page = {**page, "type": page["tariff_type"]}
    route = str(page.get("route"))
    if ended and (zero or asked_route in ROUTE_ALIASES):
        url = page["data"]["redirect_url"]
        data = {"callback_uri": url, "callback_url": url, "redirect_url": url, "redirect_uri": url}
        return {**page, "route": "session_complete", "data": data}
    if not zero:
        return page
    if route == "tariff_summary":
        data = page["data"]
        structure = (data.get("tariff") or {}).get("structure_type")
        actions = ["SAVE", *(a for a in page["actions"] if a != "SAVE")]
        if structure != "FIXED":
            return {**page, "route": "summary_tou_confirm", "actions": actions}
        # Zero's fixed summary names its one rate as `cost`.
        today = (data.get("rates") or {}).get("today") or [{}]
        cost = (today[0].get("tariff") or {}).get("cost")
        data = {**data, "cost": cost}
        return {**page, "route": "summary_fixed_confirm", "actions": actions, "data": data}
    return {**page, "route": ZERO_ROUTES.get(route, route)}


def context_of(route: str | None) -> str:
    """An error's context: `connect.<route>` of the page answered (`connect.request` before
    the request could be read)."""
    return f"connect.{route or 'request'}"


def error_body(
    error: ApiError, *, route: str | None, connect_token: str | None, request_id: str
) -> dict[str, Any]:
    """The error object for `error`; `route` is the page answered, for an error that does
    not know it (the machine's errors carry their context and the session's mode). Every
    flow error lists `errors`: the problems of the submit's data, or the error itself (its
    `field` null) when it is not about one field."""
    return error_object(
        error,
        context=error.context or context_of(route),
        live_mode=bool(error.live_mode),
        request_id=request_id,
        # An error about one field of `data` names its path (the schedule page's do).
        extra={"connect_token": connect_token, **_field(error)},
        problems=[Problem(error.code, error.message)],
    )


def _field(error: ApiError) -> dict[str, Any]:
    field = getattr(error, "field", None)
    return {"field": field} if field else {}
