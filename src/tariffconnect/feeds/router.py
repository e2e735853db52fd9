"""The feeds: `GET /feeds/{token}/evcc.json`, `/homeassistant.json` and `/cheapest.ics`.

The token is in the path because the software that polls these cannot send headers. The
request log writes the route's template, never the path, and the rate limit counts a hash of
the token (core/ratelimit.py), so the token is in no log and no counter's key. Not in
/openapi.json: these are not Flatpeak's API, and their bodies are the formats of others.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from tariffconnect.core.threads import in_thread
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db.database import retry_read
from tariffconnect.feeds import calendar, evcc, homeassistant, tokens
from tariffconnect.feeds.tokens import Feed
from tariffconnect.runtime import runtime_of

router = APIRouter(prefix="/feeds", include_in_schema=False)
# Polled by machines every few minutes: each poll should reach us, not a stale copy.
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


async def _answer(request: Request, token: str, render: Callable[[Session, Feed], bytes]) -> bytes:
    """`render` the token's feed in one read transaction, in a worker thread."""
    runtime = runtime_of(request)

    def read() -> bytes:
        with runtime.db.transaction(write=False) as session:
            return render(session, tokens.resolve(session, token=token))

    return await in_thread(retry_read, read, seconds=runtime.settings.request_deadline_seconds)


@router.get("/{token}/evcc.json", name="feed_evcc")
async def evcc_feed(request: Request, token: str) -> Response:
    now = utcnow()
    body = await _answer(request, token, lambda s, feed: evcc.body(s, feed=feed, now=now))
    return Response(body, media_type="application/json", headers=HEADERS)


@router.get("/{token}/homeassistant.json", name="feed_homeassistant")
async def homeassistant_feed(request: Request, token: str) -> Response:
    now = utcnow()
    body = await _answer(request, token, lambda s, feed: homeassistant.body(s, feed=feed, now=now))
    return Response(body, media_type="application/json", headers=HEADERS)


@router.get("/{token}/cheapest.ics", name="feed_cheapest_calendar")
async def cheapest_calendar_feed(request: Request, token: str) -> Response:
    now = utcnow()
    # The token first: an unknown one is the same 404 whatever the query says.
    hours_raw = request.query_params.get("hours")

    def render(session: Session, feed: Feed) -> bytes:
        hours = calendar.parse_hours(hours_raw)
        return calendar.body(session, feed=feed, hours=hours, now=now)

    body = await _answer(request, token, render)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=HEADERS)
