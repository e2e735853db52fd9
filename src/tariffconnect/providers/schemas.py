"""Provider models: a catalogue entry as shipped in providers.json, and its wire form."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# ISO 3166-2 subdivision code without the country prefix: `CA`, not `US-CA`.
StateCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")]


class IntegrationType(StrEnum):
    """How TariffConnect gets the supplier's tariffs (docs/providers-catalogue.md)."""

    DIRECT = "DIRECT"
    LIBRARY = "LIBRARY"
    MARKET = "MARKET"
    MANUAL = "MANUAL"


class Provider(BaseModel):
    """One entry of providers.json. Strict: a typo in the file fails the load loudly rather
    than serving a half-filled provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^prv_[0-9a-f]{24}$")
    slug: str = Field(pattern=r"^[a-z]{2}(-[a-z0-9]+)+$", max_length=100)
    display_name: str = Field(min_length=1, max_length=255)
    country_code: str = Field(pattern=r"^[A-Z]{2}$")
    states: tuple[StateCode, ...] = ()
    integration_type: IntegrationType
    website_url: str = Field(pattern=r"^https://[^\s]+$", max_length=2048)
    # A regulated (or public) utility: its tariffs are set by a regulator or board and have
    # no contract to end, so Connect does not ask for one. Internal: Flatpeak's provider
    # object has no such field.
    regulated: bool = False

    def serves(self, state: str) -> bool:
        """An empty `states` means the whole country, so every state of it."""
        return not self.states or state in self.states


class ProviderOut(BaseModel):
    id: str = Field(examples=["prv_6eb04b20869ef591375f1f8b"])
    object: str = "provider"
    display_name: str = Field(examples=["Octopus Energy"])
    country_code: str = Field(description="ISO 3166-1 alpha-2.", examples=["GB"])
    states: list[str] = Field(
        description="ISO 3166-2 subdivision codes served; empty means the whole country."
    )
    integration_type: IntegrationType
    website_url: str
    logo_url: str = Field(description="A generated SVG badge; needs no bearer token.")
