"""Wire models for locations (Flatpeak's busbar location object)."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import babel.numbers
import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from tariffconnect.core.wire import Text

ReferenceId = Field(default=None, max_length=255, description="Your own id for this object.")
CustomerId = Field(
    default=None,
    max_length=255,
    description="The customer at this location (`cus_…`); it must be one of yours.",
    examples=["cus_0192f4d1a2b3c4d5e6f7a8b9"],
)
TariffState = Literal["CONNECTED", "NOT_CONNECTED", "PENDING", "ERROR", "NOT_SUPPORTED"]


@cache
def country_codes() -> list[str]:
    """The ISO 3166-1 alpha-2 codes a location may have: those with a legal tender."""
    return sorted(
        country.alpha_2
        for country in pycountry.countries
        if babel.numbers.get_territory_currencies(country.alpha_2, tender=True)
    )


def _address_schema(schema: dict[str, Any]) -> None:
    """What the schema can say of address.normalise (which decides, with its own codes and
    messages, so one input keeps one code): city and country_code are required, a city is
    not blank, a country is one of country_codes(). Which states a country has is a rule
    between fields (400 state_missing or state_invalid, documented on the operations)."""
    properties = schema["properties"]
    properties["city"] = {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[^\x00]*\S[^\x00]*$",
    }
    properties["country_code"] = {
        "type": "string",
        "enum": country_codes(),
        "description": "ISO 3166-1 alpha-2.",
        "examples": ["GB"],
    }
    schema["required"] = ["city", "country_code"]


class PostalAddressIn(BaseModel):
    """Validated as a whole: `city` and `country_code` always, `state` in US, CA and AU."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_address_schema)

    address_line1: Text | None = Field(default=None, max_length=255)
    address_line2: Text | None = Field(default=None, max_length=255)
    city: Text | None = Field(default=None, max_length=255, description="Required.")
    state: Text | None = Field(
        default=None,
        max_length=64,
        description="Required in US, CA and AU: the code (TX, NSW) or the full name.",
    )
    post_code: Text | None = Field(default=None, max_length=32)
    country_code: Text | None = Field(
        default=None,
        max_length=8,
        description="Required. ISO 3166-1 alpha-2.",
        examples=["GB"],
    )


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: Text | None = ReferenceId
    customer_id: Text | None = CustomerId
    postal_address: PostalAddressIn


class LocationUpdate(BaseModel):
    """The fields given change; a postal_address given replaces the old one as a whole."""

    model_config = ConfigDict(extra="forbid")

    reference_id: Text | None = ReferenceId
    customer_id: Text | None = CustomerId
    # A location always has an address: it may be replaced, not removed (hence no null).
    postal_address: PostalAddressIn | SkipJsonSchema[None] = None

    @field_validator("postal_address")
    @classmethod
    def _not_null(cls, value: PostalAddressIn | None) -> PostalAddressIn:
        if value is None:
            raise ValueError("postal_address cannot be removed")
        return value


class PostalAddressOut(BaseModel):
    address_line1: str | None
    address_line2: str | None
    city: str
    state: str | None
    post_code: str | None
    country_code: str = Field(examples=["GB"])


class GeoLocation(BaseModel):
    lat: float = Field(examples=[51.5083])
    lng: float = Field(examples=[-0.1253])


class TariffStatus(BaseModel):
    commodity_import: TariffState = "NOT_CONNECTED"
    commodity_export: TariffState = "NOT_CONNECTED"
    non_commodity_import: TariffState = "NOT_CONNECTED"
    non_commodity_export: TariffState = "NOT_CONNECTED"


class MarketSources(BaseModel):
    """The market sources (`mrs_…`) a market-indexed tariff here follows, per direction."""

    import_: str | None = Field(alias="import", examples=["mrs_8a3a1d9b2c4e5f6a7b8c9d0e"])
    export: str | None = Field(examples=["mrs_8a3a1d9b2c4e5f6a7b8c9d0e"])

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class LocationOut(BaseModel):
    id: str = Field(examples=["loc_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "location"
    live_mode: bool
    reference_id: str | None
    customer_id: str | None
    postal_address: PostalAddressOut
    postal_address_verified: bool = Field(
        description="False: the address is checked (country, state, time zone) but no outside "
        "service confirms that it exists."
    )
    geo_location: GeoLocation | None = Field(
        description="Where the shipped data can tell (an address in its time zone's principal "
        "city); else null."
    )
    timezone: str = Field(description="IANA zone derived from the address.")
    currency_code: str = Field(description="ISO 4217, derived from the address.")
    market_sources: MarketSources = Field(
        description=(
            "Derived from the address: null where no market covers it or the region is not "
            "certain from the post code. A retail series (Octopus Agile) has no export side."
        )
    )
    tariff_status: TariffStatus
    tariff_elements: list[dict[str, Any] | str] = Field(
        description="The tariffs connected at this location: objects in busbar, their ids in "
        "earlier releases (Flatpeak-Version)."
    )
    devices: list[str] = Field(description="Ids of the devices at this location.")
    time_created: str
    account_id: str


class ProviderSummary(BaseModel):
    id: str
    display_name: str
    logo_url: str


class TariffSummaryOut(BaseModel):
    id: str
    display_name: str | None
    structure_type: str = Field(description="FIXED, TIME_OF_DAY or MARKET.")
    contract_end_date: str | None


class ElementStatus(BaseModel):
    status: TariffState
    connection_type: str | None
    provider: ProviderSummary | None
    tariff: TariffSummaryOut | None


class ElementStatuses(BaseModel):
    commodity_import: ElementStatus
    commodity_export: ElementStatus
    non_commodity_import: ElementStatus
    non_commodity_export: ElementStatus


class RateValue(BaseModel):
    rate: float
    confidence: float


class RateEntry(BaseModel):
    valid_from: str
    valid_to: str
    tariff: RateValue


class DayRates(BaseModel):
    yesterday: list[RateEntry]
    today: list[RateEntry]
    tomorrow: list[RateEntry]


class StatusRates(BaseModel):
    import_: DayRates | None = Field(alias="import")
    export: DayRates | None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class LocationStatusOut(LocationOut):
    """Zero's `location_status`: the location with each tariff element's state and the rates
    of yesterday, today and tomorrow per direction (null where no tariff is connected)."""

    object: str = "location_status"
    tariff_status: ElementStatuses  # type: ignore[assignment]
    tariff_elements: list[str] = Field(description="Ids of the tariffs connected here.")  # type: ignore[assignment]
    rates: StatusRates
