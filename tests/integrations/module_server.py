"""A real external auth module for the tests, run as its own process, speaking the protocol
of Flatpeak's provider-integration SDK (connect-flow.md §3.2):

    python -m tests.integrations.module_server --port P --connect-api URL [--mode MODE]

- `GET /?fp_cot=` sends `start_tariff_integration` to the Connect API (server to server, no
  Content-Type, as the SDK does) and renders the answer: minimal HTML, a form per route;
- `POST /auth_metadata_capture` (form `login`, `password`) authorises (password `secret`, and
  login `alice` or a misbehaving login below; else the SDK's error page, 400), then submits
  `auth_metadata_capture`; `POST /consent_capture` and `POST /action` submit theirs; a
  `session_redirect` answer is an HTTP 302 to `data.redirect_uri`;
- `GET /pulls?reference_id=` answers how many tariff plans were asked for that reference;
- `POST /api/tariff_plan` answers the converted tariff in the SDK's schema, or misbehaves as
  the credentials' login (or `--mode`, when not "normal") says: html, badjson,
  invalid_schedule, http500, http422, slow (sleeps past a short time-out),
  trickle (the body a byte per TRICKLE_SECONDS, each gap within a read time-out), big (over 1 MiB),
  redirect (302 to the cloud metadata address), changed (another tariff), expiring (the
  tariff expires at EXPIRY).
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PASSWORD = "secret"
MISBEHAVING = (
    "html",
    "badjson",
    "invalid_schedule",
    "http500",
    "http422",
    "slow",
    "trickle",
    "big",
    "redirect",
    "changed",
    "expiring",
)
LOGINS = ("alice", *MISBEHAVING)
SLOW_SECONDS = 3.0
TRICKLE_SECONDS = 1.9
EXPIRY = "2026-03-01T13:00:00Z"


def hours(valid_from: str, valid_to: str, value: float) -> dict[str, Any]:
    return {"valid_from": valid_from, "valid_to": valid_to, "rate": [{"value": value}]}


def converted(name: str, windows: list[dict[str, Any]]) -> dict[str, Any]:
    """A tariff as the SDK's `convert` hook answers it (TariffSchema)."""
    return {
        "display_name": name,
        "timezone": "Europe/London",
        "integration_instance": "test-module",
        "direction": "IMPORT",
        "connection_type": "DIRECT",
        "provider_tariff_expiry_date": "2099-01-01T00:00:00Z",
        "data": [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": windows}]}],
    }


TARIFF = converted(
    "Module Day & Night",
    [hours("07:00:00", "23:00:00", 0.28), hours("23:00:00", "07:00:00", 0.1)],
)
CHANGED = converted("Module Flat", [hours("00:00:00", "00:00:00", 0.22)])
# 07:00-20:00 only: the day is not covered, which the schedule validator refuses.
INVALID = converted("Module Broken", [hours("07:00:00", "20:00:00", 0.28)])


class Module(BaseHTTPRequestHandler):
    """The module's pages and its tariff API."""

    disable_nagle_algorithm = True  # a trickled byte leaves at once

    server: ModuleServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/health":
            self._send(200, b"ok", "text/plain")
            return
        if parts.path == "/pulls":  # how many tariff plans were asked for this reference_id
            wanted = parse_qs(parts.query).get("reference_id", [""])[0]
            seen = [
                p for p in self.server.pulls if p["auth_metadata"].get("reference_id") == wanted
            ]
            self._json(200, {"count": len(seen)})
            return
        if parts.path != "/":
            self._send(404, b"not found", "text/plain")
            return
        token = self._token()
        self._respond(
            self.server.connect({"connect_token": token, "route": "start_tariff_integration"})
        )

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/api/tariff_plan":
            self._tariff_plan()
            return
        token = self._token()
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        if path == "/auth_metadata_capture":
            if form.get("login") not in LOGINS or form.get("password") != PASSWORD:
                self._send(
                    400, b"<html><body><h1>Error</h1><p>Invalid credentials</p></body></html>"
                )
                return
            data = {"login": form["login"], "password": form["password"]}
            request = {"route": "auth_metadata_capture", "connect_token": token, "data": data}
        elif path == "/consent_capture":
            data = {"auth_metadata_id": form.get("auth_metadata_id", ""), "consent_given": True}
            request = {"route": "consent_capture", "connect_token": token, "data": data}
        elif path == "/action":
            request = {
                "route": form.get("route", ""),
                "type": "submit",
                "connect_token": token,
                "action": form.get("action", ""),
            }
        else:
            self._send(404, b"not found", "text/plain")
            return
        self._respond(self.server.connect(request))

    def _token(self) -> str:
        return parse_qs(urlsplit(self.path).query).get("fp_cot", [""])[0]

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(
        self, status: int, body: bytes, kind: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _respond(self, answer: dict[str, Any]) -> None:
        """The SDK's respondToAction: a redirect, or the page of the answer's route."""
        route = answer.get("route")
        data = answer.get("data") or {}
        spent = getattr(self.server.timing, "connect_ms", None)
        self.server.timing.connect_ms = None
        timing = {} if spent is None else {"X-Connect-Ms": f"{spent:.3f}"}
        if route == "session_redirect":
            self.send_response(302)
            self.send_header("Location", str(data.get("redirect_uri", "")))
            self.send_header("Content-Length", "0")
            for name, value in timing.items():
                self.send_header(name, value)
            self.end_headers()
            return
        if answer.get("object") == "error" or not isinstance(route, str):
            message = html.escape(str(answer.get("message", "unexpected answer")))
            code = html.escape(str(answer.get("code", "")))
            self._send(
                400,
                f"<html><body><h1>Error</h1><p id=code>{code}</p><p>{message}</p>".encode(),
                **timing,
            )
            return
        self._send(200, render(route, answer.get("connect_token", ""), data).encode(), **timing)

    def _tariff_plan(self) -> None:
        try:
            body = json.loads(self._body())
            credentials = body["auth_metadata"]["data"]
        except (ValueError, KeyError, TypeError):
            self._json(400, {"object": "error", "type": "api_error", "message": "Bad request"})
            return
        self.server.pulls.append(body)
        login = credentials.get("login")
        if login not in LOGINS or credentials.get("password") != PASSWORD:
            self._json(
                422, {"object": "error", "type": "api_error", "message": "Invalid credentials"}
            )
            return
        behaviour = self.server.mode if self.server.mode != "normal" else login
        if behaviour == "html":
            self._send(200, b"<!doctype html><html><body>Maintenance</body></html>")
        elif behaviour == "badjson":
            self._send(200, b'{"display_name": "Broken', "application/json")
        elif behaviour == "invalid_schedule":
            self._json(200, INVALID)
        elif behaviour == "http500":
            self._json(
                500, {"object": "error", "type": "server_error", "message": "Provider API down"}
            )
        elif behaviour == "http422":
            self._json(
                422, {"object": "error", "type": "api_error", "message": "Invalid credentials"}
            )
        elif behaviour == "slow":
            time.sleep(SLOW_SECONDS)
            self._json(200, TARIFF)
        elif behaviour == "trickle":
            self._trickle(json.dumps(TARIFF).encode())
        elif behaviour == "big":
            self._send(
                200, b'{"display_name": "' + b"x" * (1024 * 1024 + 10) + b'"}', "application/json"
            )
        elif behaviour == "redirect":
            self._send(302, b"", "text/plain", Location="http://169.254.169.254/latest/meta-data")
        elif behaviour == "changed":
            self._json(200, CHANGED)
        elif behaviour == "expiring":
            self._json(200, {**TARIFF, "provider_tariff_expiry_date": EXPIRY})
        else:
            self._json(
                200,
                {**TARIFF, "provider_tariff_reference": body["auth_metadata"].get("reference_id")},
            )

    def _trickle(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(TRICKLE_SECONDS)
        except OSError:  # the client gave up: as it should
            return

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")


def render(route: str, token: str, data: dict[str, Any]) -> str:
    """A minimal page for the route: its name, its data, and the forms the SDK's views have."""
    query = "?" + urlencode({"fp_cot": token})

    def form(action: str, fields: str, button: str) -> str:
        target = f"/{action}{query}"
        return f'<form method="post" action="{target}">{fields}<button>{button}</button></form>'

    def action(name: str) -> str:
        hidden = f'<input type="hidden" name="route" value="{html.escape(route)}">'
        hidden += f'<input type="hidden" name="action" value="{name}">'
        return form("action", hidden, name)

    forms = ""
    if route == "auth_metadata_capture":
        fields = '<input name="login"><input name="password" type="password">'
        forms = form("auth_metadata_capture", fields, "Connect") + action("DISMISS_DIRECT")
    elif route == "consent_capture":
        amd = html.escape(str(data.get("auth_metadata_id", "")))
        fields = f'<input type="hidden" name="auth_metadata_id" value="{amd}">'
        forms = form("consent_capture", fields, "Allow") + action("DISMISS_DIRECT")
    else:
        forms = action("DISMISS_DIRECT") + action("PROVIDER_CHANGE")
    escaped = html.escape(json.dumps(data, sort_keys=True))
    return (
        f"<!doctype html><html><head><title>{html.escape(route)}</title></head><body>"
        f'<main data-route="{html.escape(route)}"><pre id="data">{escaped}</pre>{forms}</main>'
        "</body></html>"
    )


class ModuleServer(ThreadingHTTPServer):
    """The module's server: where the Connect API is, how to misbehave, the pulls it saw."""

    daemon_threads = True

    def __init__(self, port: int, connect_api: str, mode: str) -> None:
        super().__init__(("127.0.0.1", port), Module)
        self.connect_api = urlsplit(connect_api)
        self.mode = mode
        self.pulls: list[Any] = []
        # The wall time of the Connect call the request being answered made: the module's
        # answer reports it (X-Connect-Ms), so a benchmark can tell Connect's time from its own.
        self.timing = threading.local()

    def connect(self, request: dict[str, Any]) -> dict[str, Any]:
        """POST the request to the Connect API as the SDK does: JSON, without a Content-Type."""
        api = self.connect_api
        began = time.perf_counter()
        connection_class = (
            http.client.HTTPSConnection if api.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(api.hostname or "127.0.0.1", api.port, timeout=30)
        try:
            connection.putrequest("POST", api.path or "/")
            body = json.dumps(request).encode()
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            answer = connection.getresponse()
            payload = answer.read()
        finally:
            connection.close()
        self.timing.connect_ms = (time.perf_counter() - began) * 1000
        try:
            parsed = json.loads(payload)
        except ValueError:
            return {"object": "error", "message": "the Connect API did not answer JSON"}
        return (
            parsed if isinstance(parsed, dict) else {"object": "error", "message": "not an object"}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connect-api", required=True, help="the Connect flow URL")
    parser.add_argument("--mode", default="normal", choices=("normal", *MISBEHAVING))
    args = parser.parse_args()
    ModuleServer(args.port, args.connect_api, args.mode).serve_forever()


if __name__ == "__main__":
    main()
