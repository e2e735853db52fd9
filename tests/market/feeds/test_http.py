"""market/feeds/http.py against a real server: retries, Retry-After, wrong kinds of answer."""

import pytest

from tariffconnect.market.feeds.base import FeedError
from tariffconnect.market.feeds.http import get, new_client, retry_after
from tests.market.feeds.fixture_server import Answer, serving


@pytest.fixture
def client():
    with new_client(timeout=5) as feed_client:
        yield feed_client


def sequence(*answers):
    pending = list(answers)
    return lambda _asked: pending.pop(0) if len(pending) > 1 else pending[0]


def test_a_5xx_is_retried_with_backoff_then_the_answer_returned():
    waits = []
    handler = sequence(Answer(503), Answer(502), Answer(200, b'{"ok": true}'))
    with serving(handler) as server, new_client(timeout=5) as client:
        response = get(client, f"{server.url}/x", expect="json", feed="TEST", sleep=waits.append)
    assert response.json() == {"ok": True}
    assert waits == [1.0, 2.0]
    assert server.paths() == ["/x", "/x", "/x"]


def test_429_waits_as_long_as_retry_after_says():
    waits = []
    handler = sequence(Answer(429, headers={"Retry-After": "7"}), Answer(200, b"[]"))
    with serving(handler) as server, new_client(timeout=5) as client:
        get(client, f"{server.url}/x", expect="json", feed="TEST", sleep=waits.append)
    assert waits == [7.0]


def test_a_long_retry_after_gives_up_for_now(client):
    handler = sequence(Answer(429, headers={"Retry-After": "3600"}))
    with (
        serving(handler) as server,
        pytest.raises(FeedError, match=r"^TEST: rate limited for 3600 s$"),
    ):
        get(client, f"{server.url}/x", expect="json", feed="TEST", sleep=lambda _s: None)


def test_a_4xx_is_final_and_the_reason_does_not_repeat_the_query(client):
    handler = sequence(Answer(401, b"bad token"))
    with serving(handler) as server, pytest.raises(FeedError) as failed:
        params = {"securityToken": "secret-token"}
        get(client, f"{server.url}/x", params=params, expect="xml", feed="TEST")
    assert str(failed.value) == "TEST: HTTP 401"
    assert len(server.asked) == 1


def test_an_html_error_page_is_not_taken_for_data(client):
    page = Answer(200, b"<html>maintenance</html>", content_type="text/html; charset=utf-8")
    with (
        serving(sequence(page)) as server,
        pytest.raises(FeedError, match=r"^TEST: answered text/html, not json$"),
    ):
        get(client, f"{server.url}/x", expect="json", feed="TEST")


def test_five_5xx_in_a_row_fail_with_the_last_status(client):
    waits = []
    with (
        serving(sequence(Answer(500))) as server,
        pytest.raises(FeedError, match=r"^TEST: HTTP 500$"),
    ):
        get(client, f"{server.url}/x", expect="json", feed="TEST", sleep=waits.append)
    assert waits == [1.0, 2.0, 4.0]
    assert len(server.asked) == 4


def test_nothing_listening_is_a_feed_error():
    with new_client(timeout=1) as client, pytest.raises(FeedError, match=r"^TEST: ConnectError$"):
        get(client, "http://127.0.0.1:1/x", expect="json", feed="TEST", sleep=lambda _s: None)


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("12", default=1.0) == 12.0
    assert retry_after(None, default=3.0) == 3.0
    assert retry_after("soon", default=2.0) == 2.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", default=5.0) == 0.0  # in the past
