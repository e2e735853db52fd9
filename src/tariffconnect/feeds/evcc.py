"""The evcc feed: what evcc's `custom` tariff reads from its `forecast` source.

evcc decodes the body with Go's encoding/json into its `api.Rates`: an array of
`{"start", "end", "value"}`, the times RFC 3339 (Go's time.Time), the value a number in the
tariff's currency per kWh (evcc.yaml `tariffs.currency`); other fields are ignored. It asks
again every hour, so the feed runs 48 h ahead from the current quarter hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from tariffconnect.core.windows import JSON_OPTIONS
from tariffconnect.feeds import cache
from tariffconnect.feeds.slots import priced, slot_start
from tariffconnect.feeds.tokens import Feed

AHEAD = timedelta(hours=48)


def body(session: Session, *, feed: Feed, now: datetime) -> bytes:
    """The feed's JSON: 48 h of 15-minute rates from the quarter hour `now` is in."""
    start = slot_start(now)

    def render(inputs: cache.Inputs) -> bytes:
        found = priced(session, feed=feed, versions=inputs.versions, start=start, end=start + AHEAD)
        rates = [{"start": s.start, "end": s.end, "value": s.value} for s in found.slots]
        return orjson.dumps(rates, option=JSON_OPTIONS)

    # The window moves once a quarter hour: polls within one are the same body.
    return cache.body(session, feed=feed, kind="evcc", window=(start,), render=render)
