"""Wire models for login and the account."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthToken(BaseModel):
    bearer_token: str = Field(description="Send as `Authorization: Bearer <bearer_token>`.")
    expires_in: int = Field(examples=[3600], description="Seconds until the token expires.")
    live_mode: bool = Field(description="True when minted from a live key.")


class AccountOut(BaseModel):
    id: str = Field(examples=["acc_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "account"
    name: str
    live_mode: bool
    time_created: str
