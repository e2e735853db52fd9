"""A request the HTTP parser refuses is answered with an error object, like every other
refusal, by the server `tariffconnect serve` runs (issue 18, defect 5)."""

import re
import signal
import socket

import orjson
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url
from tests.helpers import ERROR_KEYS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("malformed")
    with fresh_database_url(TEST_DATABASE_URL, folder) as url:
        srv = Server(folder, url, TARIFFCONNECT_DEMO_ACCOUNT="false")
        srv.start()
        try:
            yield srv
        finally:
            srv.stop(signal.SIGKILL)


def raw_exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send `request` as it is; the status line, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    return status, headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /account HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n",  # a control byte
        b"GET /account HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",  # a space in a name
        b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",  # a NUL in the method
    ],
    ids=["control-byte-in-header", "space-in-header-name", "nul-in-method"],
)
def test_an_unparseable_request_gets_an_error_object(server, request_bytes):
    status, headers, body = raw_exchange(server.port, request_bytes)
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = orjson.loads(body)
    assert set(error) == ERROR_KEYS
    assert (error["object"], error["type"], error["code"], error["context"]) == (
        "error",
        "invalid_request",
        "request_malformed",
        "api.request",
    )
    assert error["message"] == "The HTTP request could not be parsed."
    assert error["request_id"] == headers["request-id"]
    assert re.fullmatch(r"req_[0-9a-f]{24}", error["request_id"])
