"""Wire models for Connect sessions, exactly the seed contract (POST /connect)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field

from tariffconnect.core.urls import MAX_LENGTH, validate_redirect_url

RedirectUrl = Annotated[str, Field(max_length=MAX_LENGTH), AfterValidator(validate_redirect_url)]

CONNECT_URL_DOC = (
    "Where the customer returns mid-flow after a provider login: your hosted Connect page "
    "or a deep link into your app."
)
CALLBACK_URL_DOC = "Where the customer goes when they complete or leave Connect."
# Flatpeak's zero release named them connect_web_uri and callback_uri: both are accepted.
CONNECT_URL_NAMES = AliasChoices("connect_url", "connect_web_uri")
CALLBACK_URL_NAMES = AliasChoices("callback_url", "callback_uri")


class ConnectSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_id: str = Field(examples=["loc_641b90b758fb8e6293716e40"])
    connect_url: RedirectUrl = Field(
        description=CONNECT_URL_DOC,
        examples=["myapp://nova/flatpeak/connect"],
        validation_alias=CONNECT_URL_NAMES,
    )
    callback_url: RedirectUrl = Field(
        description=CALLBACK_URL_DOC,
        examples=["myapp://nova/flatpeak/complete"],
        validation_alias=CALLBACK_URL_NAMES,
    )
    device_id: str | None = Field(default=None, examples=["dev_63a6087272941ef077a8fd3e"])
    provider_id: str | None = Field(default=None, examples=["prv_6a2be12ecf43cb7e3d6cefcd"])


class ConnectSessionUpdate(BaseModel):
    """Every field optional; `device_id` and `provider_id` may be set to null to clear them."""

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


class ConnectSessionOut(BaseModel):
    id: str = Field(examples=["cot_6587fa4362341be5b524de3b"])
    location_id: str
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
