"""The HTTP protocol `serve` runs: uvicorn's httptools protocol, its own 400s as error objects.

A request the parser refuses (a control byte in a header, a malformed request line) never
reaches the application: uvicorn answers it itself, in plain text. Clients of this API read
error objects, so the refusal is one too, with a request id like every other answer.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tariffconnect.core.errors import ApiError, error_object
from tariffconnect.core.middleware import new_request_id

MALFORMED = ApiError(400, "request_malformed", "The HTTP request could not be parsed.")


class ErrorObjectHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        request_id = new_request_id()
        body = orjson.dumps(
            error_object(MALFORMED, context="api.request", live_mode=False, request_id=request_id)
        )
        content = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"request-id: " + request_id.encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
