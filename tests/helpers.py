"""Assertions shared by the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

ERROR_KEYS = {
    "object",
    "type",
    "code",
    "message",
    "context",
    "live_mode",
    "request_id",
    "time_created",
}


def assert_error(response: Any, status: int, code: str, *, context: str | None = None) -> dict:
    """The response is the error object with this status and code (and context, if given)."""
    assert response.status_code == status, response.text
    body = response.json()
    # Field validation also lists every problem, the first being the error's code and message.
    assert set(body) - {"errors"} == ERROR_KEYS, body
    if "errors" in body:
        assert body["errors"][0]["code"] == body["code"], body
        assert body["errors"][0]["message"] == body["message"], body
    assert body["object"] == "error"
    assert body["code"] == code, body
    assert body["type"] == ("api_error" if status >= 500 else "invalid_request")
    if context is not None:
        assert body["context"] == context
    assert body["request_id"] == response.headers["request-id"]
    return body


def assert_scoped(
    client: Any,
    owner: Any,
    other: Any,
    method: str,
    path: str,
    *,
    not_found_code: str,
    context: str,
    json: Any = None,
) -> None:
    """The matrix every endpoint on an owned object meets: anonymous 401, another account's
    token 404, the owner's token of the other mode 404 (the object is made in test mode)."""
    anonymous = client.request(method, path, json=json)
    assert_error(anonymous, 401, "authentication_required", context=context)
    for headers in (other.test, other.live, owner.live):
        response = client.request(method, path, json=json, headers=headers)
        assert_error(response, 404, not_found_code, context=context)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL `engine` sends while the block runs, without the key cache's read of
    `account_changes`: it comes at most every 0.5 s (accounts/keycache.py), so whether a
    given request makes it depends on the clock, not on the code under test."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "account_changes" not in statement:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
