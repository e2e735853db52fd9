"""A tiny real HTTP server that answers from a script: for the answers a healthy TariffConnect
does not give on demand (a 429 with a chosen Retry-After, a 503, a proxy's HTML page)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    at: float


def error_object(code: str, status: int) -> dict[str, object]:
    return {
        "object": "error",
        "type": "api_error" if status >= 500 else "invalid_request",
        "code": code,
        "message": f"scripted {code}",
        "context": "api.customer_create",
        "live_mode": False,
        "request_id": "req_0123456789abcdef01234567",
        "time_created": "2026-12-01T12:00:00Z",
    }


CUSTOMER = {
    "id": "cus_0123456789abcdef01234567",
    "object": "customer",
    "live_mode": False,
    "reference_id": "r",
    "locations": [],
    "time_created": "2026-12-01T12:00:00Z",
    "account_id": "acc_0123456789abcdef01234567",
}


class Scripted:
    """`/login` always gives a token; every other request takes the next scripted answer."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self.rfile.read(length)
                with scripted.lock:
                    scripted.seen.append(
                        Seen(self.command, self.path, dict(self.headers.items()), time.monotonic())
                    )
                    if self.path == "/login":
                        answer = Answer(
                            200, {"bearer_token": "t", "expires_in": 3600, "live_mode": False}
                        )
                    else:
                        answer = scripted.answers.pop(0)
                body = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.raw is None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def calls(self) -> list[Seen]:
        """What reached it apart from logins."""
        return [seen for seen in self.seen if seen.path != "/login"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
