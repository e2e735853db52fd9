"""Wire models for events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EventOut(BaseModel):
    id: str = Field(examples=["evt_0192f4d1a2b3c4d5e6f7a8b9"])
    object: str = "event"
    type: str = Field(examples=["connect_session.create"])
    data: dict[str, Any] = Field(description="The object as the API showed it at that moment.")
    live_mode: bool
    time_created: str
