"""The one way a feed calls out: a time-out on every call, 429 honoured (Retry-After), 5xx and
network errors retried with backoff, and an answer of the wrong kind (an HTML error page for an
API call) refused. Everything that goes wrong ends as a FeedError with a reason safe to show."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from tariffconnect.market.feeds.base import FeedError, FeedRefused

RETRIES = 3  # attempts after the first
BACKOFF_SECONDS = 1.0  # doubled after each retry
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is not waited for: the task tries again later
USER_AGENT = "TariffConnect (+https://github.com/tariffconnect)"

Sleep = Callable[[float], None]


def new_client(*, timeout: float) -> httpx.Client:
    """A client for the feeds: `timeout` seconds for each phase, no proxy from the
    environment surprises, and our user agent."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


def get(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    expect: str,
    feed: str,
    sleep: Sleep = time.sleep,
) -> httpx.Response:
    """GET `url`, retrying what is worth retrying; return a 2xx answer whose Content-Type
    contains `expect` ("json", "xml", "csv").

    A 4xx other than 429 is final (a bad request stays bad). The reason never repeats the
    query, which may carry a token.
    """
    delay = BACKOFF_SECONDS
    for attempt in range(RETRIES + 1):
        last = attempt == RETRIES
        try:
            response = client.get(url, params=params)
        except httpx.TimeoutException:
            if last:
                raise FeedError(f"{feed}: no answer in time") from None
        except httpx.HTTPError as error:
            if last:
                raise FeedError(f"{feed}: {type(error).__name__}") from None
        else:
            status = response.status_code
            if 200 <= status < 300:
                return _of_kind(response, expect=expect, feed=feed)
            if status == 429 and not last:
                wait = retry_after(response.headers.get("retry-after"), default=delay)
                if wait > MAX_RETRY_AFTER:
                    raise FeedError(f"{feed}: rate limited for {wait:.0f} s")
                sleep(wait)
                delay *= 2
                continue
            if status < 500 or last:
                raise FeedRefused(feed, status)
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def retry_after(value: str | None, *, default: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _of_kind(response: httpx.Response, *, expect: str, feed: str) -> httpx.Response:
    kind = response.headers.get("content-type", "").lower()
    if expect not in kind:
        shown = kind.split(";")[0] or "no content type"
        raise FeedError(f"{feed}: answered {shown}, not {expect}")
    return response
