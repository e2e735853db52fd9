"""Real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real server.

Pages are opened at a phone's size, as a customer meets Connect inside an app's WebView; each
test saves a screenshot of every page it passes under test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.connect.flow.flow import make_session
from tests.e2e.server import Server, fresh_database_url

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Flags for a headless browser in a container: no sandbox (we run as root), no GPU, and no
# background traffic (the network outside this machine is unreachable anyway).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    # An Android WebView's user agent (the `; wv` marks a WebView).
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/156.0.0.0 Mobile Safari/537.36"
    ),
}


# A front end on another origin that calls the flow API the way Flatpeak's reference front end
# does (its service.ts): fetch(API, {method: "POST", body: JSON.stringify(payload)}), with no
# Content-Type, so the browser sends a CORS "simple request" labelled text/plain.
FRONT_END = b"""<!doctype html><title>Front end</title><h1>Front end</h1>
<script>
window.submitAction = (api, payload) =>
  fetch(api, {method: "POST", body: JSON.stringify(payload)}).then((r) => r.json());
</script>"""
CALLBACK_PAGE = b"<!doctype html><title>App</title><h1>Back in the app</h1>"


class CallbackApp(BaseHTTPRequestHandler):
    """The app's side: its callback page, where the customer lands when Connect is done, and
    a front end page of its own origin."""

    def do_GET(self) -> None:
        body = FRONT_END if self.path.startswith("/front-end") else CALLBACK_PAGE
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Live:
    base: str
    headers: dict[str, str]
    callback: str
    # The server's environment: a `tariffconnect` command run with it uses the same database.
    env: dict[str, str]

    def session(self, address: dict[str, str]) -> str:
        """A location at `address` and a Connect session for it; the session's token."""
        with httpx.Client(base_url=self.base) as client:
            return make_session(client, self.headers, address, callback_url=self.callback)

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.base}{path}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("browser")
    callback_server = ThreadingHTTPServer(("127.0.0.1", 0), CallbackApp)
    threading.Thread(target=callback_server.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{callback_server.server_port}/connected?app=demo"
    with fresh_database_url(TEST_DATABASE_URL, data_dir) as url:
        server = Server(data_dir, url, TARIFFCONNECT_WORKER_IN_PROCESS="false")
        try:
            output = server.start()
            account = re.search(r"account id:\s+(acc_[0-9a-f]{24})", output)
            key = re.search(r"test API key:\s+(sk_test_[0-9a-f]{32})", output)
            assert account and key, output
            login = httpx.get(f"{server.base}/login", auth=(account.group(1), key.group(1)))
            token = login.json()["bearer_token"]
            yield Live(server.base, {"Authorization": f"Bearer {token}"}, callback, server.env)
        finally:
            server.stop(signal.SIGKILL)
            callback_server.shutdown()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module. Playwright's sync API runs an event loop in this thread
    while it is started, which would break later tests that call asyncio.run(); so it stops
    with each module rather than living for the session."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("TARIFFCONNECT_SKIP_BROWSER_TESTS") == "1":
            pytest.skip("Chromium is not installed and browser tests were skipped on request")
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Phone:
    """A page at a phone's size that keeps a screenshot of every page it is shown."""

    page: Any
    folder: Path
    shots: list[Path] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path


@pytest.fixture
def phone(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Phone]:
    """A phone set to British English, or to the locale a test gives it
    (`@pytest.mark.parametrize("phone", ["fr-FR"], indirect=True)`): its Accept-Language."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = chromium.new_context(locale=getattr(request, "param", "en-GB"), **PHONE)
    context.set_default_timeout(15_000)
    try:
        yield Phone(context.new_page(), folder)
    finally:
        context.close()
