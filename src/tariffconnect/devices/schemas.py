"""Wire models for devices (Flatpeak's busbar device)."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tariffconnect.core.wire import NO_NUL, Text, storable

MAX_PROPERTIES = 50  # keys per object
MAX_PROPERTIES_DEPTH = 3  # `properties` itself is depth 1
MAX_PROPERTIES_BYTES = 16 * 1024  # as compact JSON
MAX_KEY_LENGTH = 100
MAX_LOCATIONS = 100


class DeviceType(StrEnum):
    EV_CHARGER = "EV_CHARGER"
    ELECTRIC_VEHICLE = "ELECTRIC_VEHICLE"
    BATTERY_SYSTEM = "BATTERY_SYSTEM"
    PV_SYSTEM = "PV_SYSTEM"
    HEAT_PUMP = "HEAT_PUMP"
    OTHER = "OTHER"


ShortText = Annotated[Text, Field(max_length=255)]
ReferenceId = Annotated[
    Text, Field(min_length=1, max_length=255, description="Your own id for this device.")
]
LocationIds = Annotated[
    list[Annotated[str, Field(pattern=r"^loc_[0-9a-f]{24}$")]],
    Field(max_length=MAX_LOCATIONS, description="Ids of the locations the device serves."),
]


def _check_json(value: Any, depth: int) -> None:
    """Raise ValueError unless `value` is scalars, lists and objects nested at most
    MAX_PROPERTIES_DEPTH deep, with short keys, few keys, and finite numbers."""
    if isinstance(value, str):
        storable(value)  # `Any` values are not validated as `Text` by pydantic
    elif isinstance(value, float) and not math.isfinite(value):
        # Python's JSON parser accepts NaN and Infinity; JSON columns and clients do not.
        raise ValueError("numbers must be finite")
    elif isinstance(value, dict | list):
        if depth > MAX_PROPERTIES_DEPTH:
            raise ValueError(f"must be nested at most {MAX_PROPERTIES_DEPTH} levels deep")
        if isinstance(value, dict):
            if len(value) > MAX_PROPERTIES:
                raise ValueError(f"an object may have at most {MAX_PROPERTIES} keys")
            for key in value:
                if not 1 <= len(storable(key)) <= MAX_KEY_LENGTH:
                    raise ValueError(f"keys must be 1 to {MAX_KEY_LENGTH} characters")
        for item in value.values() if isinstance(value, dict) else value:
            _check_json(item, depth + 1)


def _valid_properties(value: dict[str, Any]) -> dict[str, Any]:
    _check_json(value, depth=1)
    encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    if len(encoded) > MAX_PROPERTIES_BYTES:
        raise ValueError(f"must be at most {MAX_PROPERTIES_BYTES} bytes as JSON")
    return value


def _nested(depth: int) -> dict[str, Any]:
    """The schema of a value `depth` levels down in `properties` (which is level 1)."""
    scalar: dict[str, Any] = {
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": ["number", "boolean", "null"]},
        ]
    }
    if depth > MAX_PROPERTIES_DEPTH:
        return scalar
    inner = _nested(depth + 1)
    return {"anyOf": [*scalar["anyOf"], _object(inner), {"type": "array", "items": inner}]}


def _object(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "maxProperties": MAX_PROPERTIES,
        "propertyNames": {"minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": NO_NUL},
        "additionalProperties": values,
    }


Properties = Annotated[
    dict[str, Any],
    AfterValidator(_valid_properties),
    Field(
        description=(
            "Free-form details, e.g. power_rating_import_kwh, capacity_kwh, "
            "power_rating_export_kwh, pv_azimuth, pv_tilt, pv_terrain_shading, "
            f"pv_forecasts_enabled, install_date. At most {MAX_PROPERTIES} keys, "
            f"{MAX_PROPERTIES_DEPTH} levels, {MAX_PROPERTIES_BYTES} bytes."
        ),
        examples=[{"power_rating_import_kwh": 7.4, "install_date": "2024-03-01"}],
        # What the schema can say of _valid_properties, which decides (its size as JSON is
        # documented as a 400 properties_invalid).
        json_schema_extra=_object(_nested(2)),
    ),
]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: ReferenceId
    type: DeviceType
    locations: LocationIds = []
    manufacturer: ShortText | None = None
    model_code: ShortText | None = None
    model_name: ShortText | None = None
    properties: Properties = {}


def _hide_null(schema: dict[str, Any]) -> None:
    """OpenAPI for a PATCH field that may be absent but not null: drop the null branch."""
    schema["anyOf"] = [branch for branch in schema.get("anyOf", []) if branch != {"type": "null"}]
    schema.pop("default", None)


# Plain `X | None` (not a union with a marker type) keeps error locations to the field name,
# so the error codes stay `<field>_invalid`.
NotNull = Field(default=None, json_schema_extra=_hide_null)


class DeviceUpdate(BaseModel):
    """PATCH: only the fields sent change (`model_fields_set`).

    reference_id, type, locations and properties cannot be null: None stands for "not sent",
    an explicit null is `<field>_invalid`.
    """

    model_config = ConfigDict(extra="forbid")

    reference_id: ReferenceId | None = NotNull
    type: DeviceType | None = NotNull
    locations: LocationIds | None = NotNull
    manufacturer: ShortText | None = None
    model_code: ShortText | None = None
    model_name: ShortText | None = None
    properties: Properties | None = NotNull

    @field_validator("reference_id", "type", "locations", "properties", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only for fields sent (defaults are not validated), so None here was sent.
        if value is None:
            raise ValueError("cannot be null")
        return value


class DeviceOut(BaseModel):
    id: str = Field(examples=["dev_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "device"
    live_mode: bool
    reference_id: str
    type: DeviceType
    locations: list[str] = Field(description="Ids of the device's locations, sorted.")
    manufacturer: str | None
    model_code: str | None
    model_name: str | None
    properties: dict[str, Any]
    time_created: str
    account_id: str
