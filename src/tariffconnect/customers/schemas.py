"""Wire models for customers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tariffconnect.core.wire import Text

ReferenceId = Field(default=None, max_length=255, description="Your own id for this object.")


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: Text | None = ReferenceId


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: Text | None = ReferenceId


class CustomerOut(BaseModel):
    id: str = Field(examples=["cus_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "customer"
    live_mode: bool
    reference_id: str | None
    locations: list[str] = Field(description="Ids of the customer's locations.")
    time_created: str
    account_id: str
