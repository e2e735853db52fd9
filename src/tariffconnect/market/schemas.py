"""Wire models for market sources and their published prices."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

from tariffconnect.market.sources import FeedName
from tariffconnect.prices.schemas import PriceInterval

# `?start_time=2031-03-30T00:00:00+02:00` typed unencoded arrives with a space for the `+`
# (form decoding); the space can mean nothing else there, so it is read as the `+` meant.
_SPACED_OFFSET = re.compile(r"^(\S+T\S+) ([0-9]{2}(:?[0-9]{2})?)$")


def _restore_plus(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACED_OFFSET.sub(r"\1+\2", value)
    return value


QueryTime = Annotated[AwareDatetime, BeforeValidator(_restore_plus)]


class PublishedInterval(BaseModel):
    start: str = Field(examples=["2031-03-30T21:45:00Z"])
    end: str = Field(examples=["2031-03-30T22:00:00Z"])


class MarketSourceOut(BaseModel):
    id: str = Field(examples=["mrs_600e544dbb5955bddfbfad0c"])
    object: str = "market_source"
    display_name: str = Field(examples=["Germany-Luxembourg day-ahead"])
    bidding_zone: str = Field(examples=["DE-LU"])
    country_code: str = Field(description="ISO 3166-1 alpha-2.", examples=["DE"])
    region: str | None = Field(description="null when the country has a single source.")
    currency_code: str = Field(description="ISO 4217; the prices' currency.", examples=["EUR"])
    resolution_minutes: int = Field(examples=[15])
    publisher: str
    feeds: list[FeedName] = Field(description="The feeds it is loaded from, in the order tried.")
    last_published_interval: PublishedInterval | None = Field(
        description="The latest interval stored; null before the first prices arrive."
    )


class MarketPricesOut(BaseModel):
    object: str = "market_prices"
    market_source_id: str
    currency_code: str
    data: list[PriceInterval] = Field(
        description="Per kWh in currency_code; equal neighbours merged; gaps left as gaps."
    )
