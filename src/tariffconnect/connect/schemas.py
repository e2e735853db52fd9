"""Wire models for Connect sessions: the seed contract (POST /connect, busbar), and the
Connect tokens of zero (`/connect/tariff/token`), anode (`/connect/token`) and busbar's earlier
`/connect/sessions`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tariffconnect.core.urls import MAX_LENGTH, REDIRECT_URL_PATTERN, validate_redirect_url
from tariffconnect.core.wire import Text
from tariffconnect.locations.schemas import PostalAddressIn

# The pattern is for the schema (validate_redirect_url decides, with its own messages).
RedirectUrl = Annotated[
    str,
    Field(max_length=MAX_LENGTH, json_schema_extra={"pattern": REDIRECT_URL_PATTERN}),
    AfterValidator(validate_redirect_url),
]

CONNECT_URL_DOC = (
    "Where the customer returns mid-flow after a provider login: your hosted Connect page "
    "or a deep link into your app."
)
CALLBACK_URL_DOC = "Where the customer goes when they complete or leave Connect."
# Flatpeak's zero release named them connect_web_uri and callback_uri: both are accepted.
CONNECT_URL_NAMES = AliasChoices("connect_url", "connect_web_uri")
CALLBACK_URL_NAMES = AliasChoices("callback_url", "callback_uri")
ConnectUrl = Annotated[
    RedirectUrl,
    Field(
        description=CONNECT_URL_DOC,
        examples=["myapp://nova/flatpeak/connect"],
        validation_alias=CONNECT_URL_NAMES,
    ),
]
CallbackUrl = Annotated[
    RedirectUrl,
    Field(
        description=CALLBACK_URL_DOC,
        examples=["myapp://nova/flatpeak/complete"],
        validation_alias=CALLBACK_URL_NAMES,
    ),
]


TariffType = Literal["COMMODITY", "NON_COMMODITY"]
# The directions a session captures (a token also names LOCAL, to refuse it with a clear code).
SessionDirection = Literal["IMPORT", "EXPORT"]
TARIFF_TYPE_DOC = "COMMODITY (the energy price) or NON_COMMODITY (grid fees, network charges)."
DIRECTION_DOC = "IMPORT (what the customer pays) or EXPORT (what they are paid for feed-in)."


class RouteOptions(BaseModel):
    """Which optional pages Connect shows (busbar's names)."""

    model_config = ConfigDict(extra="forbid")

    tariff_name_capture: StrictBool = Field(
        default=True, description="False skips the tariff name page."
    )
    contract_term_capture: StrictBool = Field(
        default=True, description="False skips the contract term page."
    )
    advanced_tariff_capture: StrictBool = Field(
        default=False, description="True captures seasons, day types and tiers."
    )

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        """An option sent as null takes its default, as the token endpoints always took it
        (their clients serialise options they do not set as null)."""
        if isinstance(value, dict):
            return {key: option for key, option in value.items() if option is not None}
        return value


def _route_options_whole(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """One code for anything wrong inside `route_options` (an unknown key, a value that is
    not true or false): `route_options_invalid`, not a code per key."""
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError(
            "route_options_invalid",
            "route_options takes tariff_name_capture, contract_term_capture and "
            "advanced_tariff_capture, each true or false.",
        ) from None


RouteOptionsIn = Annotated[RouteOptions | None, WrapValidator(_route_options_whole)]


class ConnectSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_id: str = Field(examples=["loc_641b90b758fb8e6293716e40"])
    connect_url: ConnectUrl
    callback_url: CallbackUrl
    device_id: str | None = Field(default=None, examples=["dev_63a6087272941ef077a8fd3e"])
    provider_id: str | None = Field(default=None, examples=["prv_6a2be12ecf43cb7e3d6cefcd"])
    tariff_type: TariffType = Field(default="COMMODITY", description=TARIFF_TYPE_DOC)
    tariff_direction: SessionDirection = Field(default="IMPORT", description=DIRECTION_DOC)
    route_options: RouteOptionsIn = None


class ConnectSessionUpdate(BaseModel):
    """Every field optional; `device_id` and `provider_id` may be set to null to clear them.
    `route_options` changes the options it names and keeps the others."""

    model_config = ConfigDict(extra="forbid")

    location_id: str | None = None
    connect_url: RedirectUrl | None = Field(
        default=None, description=CONNECT_URL_DOC, validation_alias=CONNECT_URL_NAMES
    )
    callback_url: RedirectUrl | None = Field(
        default=None, description=CALLBACK_URL_DOC, validation_alias=CALLBACK_URL_NAMES
    )
    device_id: str | None = None
    provider_id: str | None = None
    tariff_type: TariffType | None = Field(default=None, description=TARIFF_TYPE_DOC)
    tariff_direction: SessionDirection | None = Field(default=None, description=DIRECTION_DOC)
    route_options: RouteOptionsIn = None


class ConnectSessionOut(BaseModel):
    id: str = Field(examples=["cot_6587fa4362341be5b524de3b"])
    location_id: str | None = Field(
        description="Null until a session created without a location completes."
    )
    object: str = "connect_session"
    live_mode: bool
    data_available: bool = Field(description="True when the location has a connected tariff.")
    time_created: str = Field(examples=["2023-05-05T18:37:27Z"])
    time_expiry: str = Field(examples=["2023-05-06T18:37:27Z"])
    device_id: str | None
    provider_id: str | None
    connect_url: str
    callback_url: str
    status: str = Field(description="CREATED, IN_PROGRESS, COMPLETED or EXPIRED.")
    tariff_type: str = Field(description=TARIFF_TYPE_DOC, examples=["COMMODITY"])
    tariff_direction: str = Field(description=DIRECTION_DOC, examples=["IMPORT"])
    route_options: RouteOptions


class TokenActions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disconnect_tariff: bool = Field(
        default=False,
        description="Disconnect the location's tariff at the first Connect request, no page shown.",
    )
    edit_tariff: bool = Field(
        default=False, description="Start at provider selection, not at the tariff's summary."
    )
    advanced_tariff_capture: bool = Field(
        default=False,
        description="anode's switch: as route_options.advanced_tariff_capture.",
    )


class PostalAddressPrefill(PostalAddressIn):
    """An address for Connect to start from: any part of it may be left for the customer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=None)


class ConnectTokenCreate(BaseModel):
    """A Connect token (zero and anode), or a session of busbar's earlier `/connect/sessions`.

    Without `location_id` the session creates the location (and, with `customer_reference_id`,
    the customer) from the address captured in the flow, when the flow completes.
    """

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, max_length=64)
    customer_reference_id: Text | None = Field(default=None, max_length=255)
    location_id: str | None = Field(default=None, max_length=64)
    location_reference_id: Text | None = Field(default=None, max_length=255)
    tariff_direction: Literal["IMPORT", "EXPORT", "LOCAL"] = Field(
        default="IMPORT", validation_alias=AliasChoices("tariff_direction", "direction")
    )
    tariff_type: TariffType = Field(
        default="COMMODITY", validation_alias=AliasChoices("tariff_type", "type")
    )
    connect_url: ConnectUrl
    callback_url: CallbackUrl
    tariff_id: str | None = Field(default=None, max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64)
    actions: TokenActions | None = None
    route_options: RouteOptionsIn = None
    postal_address: PostalAddressPrefill | None = Field(
        default=None,
        description="Prefills the address of a new location; with city and country_code given "
        "the address page is skipped.",
    )
    postal_address_type: Literal["RESIDENTIAL", "COMMERCIAL"] | None = None


class ConnectTokenOut(BaseModel):
    connect_token: str = Field(examples=["cot_6587fa4362341be5b524de3b"])
    expires_in: int = Field(examples=[86400], description="Seconds until the token expires.")
    live_mode: bool


class ConnectTokenExchangeOut(BaseModel):
    """What a Connect token became: its location once the flow completed."""

    id: str = Field(examples=["cot_6587fa4362341be5b524de3b"])
    object: str = "connect_token"
    live_mode: bool
    customer_id: str | None
    customer_reference_id: str | None
    location_id: str | None = Field(description="Null until the flow completes.")
    location_reference_id: str | None
    tariff_available: bool = Field(description="True once the location's tariff has prices.")
    status: str = Field(description="CREATED, IN_PROGRESS, COMPLETED or EXPIRED.")
    time_created: str
    time_expiry: str
