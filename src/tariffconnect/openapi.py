"""What /openapi.json says beyond what FastAPI derives from the routes: the rules between fields.

A schema can say what each field may hold, not how fields relate (end_time after start_time,
a cursor or the other), nor what the current state allows. Each operation that refuses a
request valid by its schema for such a rule documents a 400 response naming its codes, in the
description and, for programs, in `x-codes` (the contract test accepts those codes, and only
those, as refusals of schema-valid requests).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PAGINATION = {
    "pagination_cursor_conflict": "both starting_after and ending_before were given.",
}
_WINDOW = {
    "time_window_invalid": "end_time is not after start_time, or a time lies outside the years "
    "1970-9990.",
    "time_window_too_long": "the window is longer than the operation allows.",
}
_ADDRESS = {
    "state_missing": "a country that needs a state (US, CA, AU) without postal_address.state.",
    "state_invalid": "a postal_address.state that is not one of the country's.",
}
_SESSION = {
    "location_id_conflict": "both location_id and location_reference_id were given.",
    "tariff_direction_not_supported": "tariff_direction LOCAL, which Connect does not capture, "
    "or NON_COMMODITY with EXPORT.",
    "tariff_id_invalid": "a tariff_id whose tariff is at another location than location_id.",
    "location_id_missing": "actions.disconnect_tariff without location_id.",
    # A prefill with city and country_code skips the address page, so it is checked whole.
    "city_missing": "a prefill postal_address whose city is blank.",
    "country_code_invalid": "a prefill postal_address whose country_code ISO 3166-1 lacks.",
    "country_code_not_supported": "a prefill postal_address in a country without a currency.",
    **_ADDRESS,
}
_ELEMENT = {
    "tariff_direction_not_supported": "tariff_type NON_COMMODITY with tariff_direction EXPORT.",
}
# The redirect URL rules core.urls.REDIRECT_URL_PATTERN leaves out.
_REDIRECT = {
    f"{name}_invalid": "a port that is not a number from 1 to 65535, or an https URL without "
    "a host."
    for name in ("connect_url", "callback_url")
}
_RECORD = {
    "direction_invalid": "direction and energy_flow_direction disagree.",
    "tariff_direction_not_supported": "tariff_direction LOCAL, which no tariff prices.",
    "start_time_invalid": "start_time outside the years 1970-9990.",
    "end_time_invalid": "end_time outside the years 1970-9990.",
    "end_time_before_start_time": "end_time is not after start_time.",
    "record_too_long": "the record spans more than 31 days.",
    "value_invalid": "the energy the record stands for is too large to store.",
}
_TARIFF = {
    "incomplete_time_period": "a day or a time of day the schedule does not price.",
    "gap_in_time_period": "a day rule whose windows leave a gap.",
    "overlap_in_time_period": "a day rule whose windows overlap.",
    "valid_to_invalid": "a window that starts where it ends (other than 00:00:00-00:00:00).",
    "fixed_invalid": "a tier without fixed on a tariff without market rates.",
    "to_kwh_invalid": "tiers whose to_kwh do not rise, or a to_kwh on the last tier.",
    "tariff_type_not_supported": "tariff_type NON_COMMODITY with tariff_direction EXPORT.",
    "market_source_id_missing": "market_rates without market_source_id.",
    "market_source_id_invalid": "market_source_id without market_rates, or not an mrs_ id.",
    "contract_start_date_invalid": "a date outside 1900-01-01 to 9000-01-01 (UTC).",
    "contract_end_date_invalid": "a date outside 1900-01-01 to 9000-01-01 (UTC), or not "
    "after contract_start_date.",
}
_WEBHOOK_URL = {
    "url_invalid": "http outside test mode's localhost, a private, loopback or link-local "
    "address, a host name that is not one, or a port that is not a number from 1 to 65535.",
}

# operationId -> {code: when}: the rules between fields (or of the state, mode or a field's
# text that JSON Schema cannot say) each operation enforces.
CROSS_FIELD_CODES: dict[str, dict[str, str]] = {
    "price_retrieve": _WINDOW,
    "price_retrieve_for_location": _WINDOW,
    "tariff_rate_retrieve": _WINDOW,
    "price_audit": _WINDOW,
    "tariff_rate_audit": _WINDOW,
    "market_price_list": _WINDOW,
    "schedule_by_duration": {
        **_WINDOW,
        "duration_too_long": "duration is longer than the window.",
    },
    "schedule_by_limit": _WINDOW,
    "schedule_by_amount": _WINDOW,
    "cost_instant": _RECORD,
    "cost_interval": _WINDOW,
    "cost_session": _WINDOW,
    "connect_token_create_zero": {**_SESSION, **_REDIRECT},
    "connect_token_create": {**_SESSION, **_REDIRECT},
    "connect_session_create_token": {**_SESSION, **_REDIRECT},
    "connect_session_create": {**_ELEMENT, **_REDIRECT},
    "connect_session_update": {
        **_ELEMENT,
        **_REDIRECT,
        **{
            f"{name}_invalid": f"{name}: null."
            for name in ("tariff_type", "tariff_direction", "route_options")
        },
    },
    "location_create": _ADDRESS,
    "location_update": _ADDRESS,
    "tariff_create": _TARIFF,
    "tariff_element_create": _TARIFF,
    "tariff_update": {**_TARIFF, "schedule_invalid": "schedule: null."},
    "device_create": {"properties_invalid": "properties over 16 KiB as compact JSON."},
    "device_update": {"properties_invalid": "properties over 16 KiB as compact JSON."},
    "webhook_endpoint_create": _WEBHOOK_URL,
    "webhook_endpoint_update": _WEBHOOK_URL,
    "provider_list": {"country_code_missing": "state was given without country_code."},
    "market_source_list": {"country_code_invalid": "a country_code ISO 3166-1 does not have."},
}


def codes_of(operation: dict[str, Any]) -> dict[str, str]:
    """The rules between fields `operation` enforces, as {code: when}."""
    codes = dict(CROSS_FIELD_CODES.get(operation.get("operationId", ""), {}))
    names = {parameter.get("name") for parameter in operation.get("parameters", [])}
    if {"starting_after", "ending_before"} <= names:
        codes.update(PAGINATION)
    return codes


# Constraints pydantic writes under its own names when a validator comes before them in
# Annotated[...] (core.wire.Numeric does): JSON Schema's names for them.
_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
_DIGITS = ("max_digits", "decimal_places")


def _json_number(node: dict[str, Any]) -> dict[str, Any]:
    """A number field whose constraints pydantic left under its own names, in JSON Schema's:
    the bounds as themselves, max_digits and decimal_places as the range and the step they
    allow. Such a field is a Numeric one (a JSON number, never a string), so a decimal's
    string branch goes."""
    out = {key: value for key, value in node.items() if key not in (*_BOUNDS, *_DIGITS)}
    branches = out.pop("anyOf", None)
    if branches is not None:
        numbers = [b for b in branches if b.get("type") in ("number", "integer")]
        if len(numbers) != 1 or any(b.get("type") not in ("number", "string") for b in branches):
            return node  # not a decimal's [number, string]: leave it as pydantic wrote it
        out = {**numbers[0], **out}
    for name, keyword in _BOUNDS.items():
        if name in node:  # a Decimal bound is written as a string
            out[keyword] = float(node[name]) if isinstance(node[name], str) else node[name]
    if "decimal_places" in node:
        out["multipleOf"] = 10.0 ** -node["decimal_places"]
    if "max_digits" in node:
        bound = 10 ** (node["max_digits"] - node.get("decimal_places", 0))
        out.setdefault("exclusiveMaximum", bound)
        out.setdefault("exclusiveMinimum", -bound)
    return out


def _fix_numbers(node: Any) -> Any:
    if isinstance(node, list):
        return [_fix_numbers(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _fix_numbers(value) for key, value in node.items()}
    if any(key in node for key in (*_BOUNDS, *_DIGITS)) and "properties" not in node:
        node = _json_number(node)
    return node


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without pydantic's `null` branch: a query string cannot send
    null (leaving the parameter out is how a client says "none")."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(branches):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**kept[0], **rest}


def _document_rules(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"] = _fix_numbers(spec["components"]["schemas"])
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("query", "header") and "schema" in parameter:
                    parameter["schema"] = _fix_numbers(_without_null(parameter["schema"]))
            codes = codes_of(operation)
            if not codes:
                continue
            lines = "".join(f"\n- `{code}`: {when}" for code, when in codes.items())
            operation["responses"]["400"] = {
                "description": "A rule between fields the schema cannot express:" + lines,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorObject"}}
                },
                "x-codes": list(codes),
            }


def _link_created_objects(spec: dict[str, Any]) -> None:
    """OpenAPI links from each create (POST answering 201) to the operations on the object it
    made (`/devices` to `/devices/{device_id}`), through the answer's `id`. Clients and test
    tools then follow the id the API names, rather than guess which `*_id` field of the answer
    fills the path (a guess once sent a device's `account_id` to PATCH /devices/{device_id})."""
    paths = spec.get("paths", {})
    for path, path_item in paths.items():
        created = path_item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        for object_path, object_item in paths.items():
            parameter = object_path.removeprefix(path + "/")
            if parameter == object_path or not (parameter.startswith("{") and "/" not in parameter):
                continue  # not the object path /devices/{device_id}
            created["links"] = {
                operation["operationId"]: {
                    "operationId": operation["operationId"],
                    "parameters": {parameter[1:-1]: "$response.body#/id"},
                }
                for operation in object_item.values()
            }
            break  # a create has one object path


def install(app: FastAPI) -> None:
    """Serve FastAPI's schema with the rules between fields documented (built once)."""
    derive = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = derive()  # FastAPI's, which it keeps in app.openapi_schema
            _document_rules(spec)
            _link_created_objects(spec)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
