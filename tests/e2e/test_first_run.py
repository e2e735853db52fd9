"""`make run` as a user meets it: the server starts, prints a demo account and a curl that works."""

import json
import os
import re
import shlex
import signal
import stat
import subprocess

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path):
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        srv = Server(tmp_path, url)
        try:
            yield srv
        finally:
            srv.stop(signal.SIGKILL)


def test_first_start_prints_a_demo_account_and_a_working_curl(server, tmp_path):
    output = server.start()
    account_id = re.search(r"account id:\s+(acc_[0-9a-f]{24})", output).group(1)
    key = re.search(r"test API key:\s+(sk_test_[0-9a-f]{32})", output).group(1)
    curl_line = next(
        line.strip() for line in output.splitlines() if line.strip().startswith("curl ")
    )
    assert shlex.split(curl_line) == [
        "curl",
        "-s",
        "-u",
        f"{account_id}:{key}",
        f"{server.base}/login",
    ]

    result = subprocess.run(shlex.split(curl_line), capture_output=True, text=True, timeout=10)
    token = httpx.Response(200, content=result.stdout).json()["bearer_token"]
    account = httpx.get(f"{server.base}/account", headers={"Authorization": f"Bearer {token}"})
    assert account.status_code == 200
    assert account.json()["id"] == account_id

    # The hosted Connect link of the demo location opens its first page.
    link = re.search(r"(http://\S+/connect/web\?fp_cot=(cot_[0-9a-f]{24}))", output)
    assert link is not None, output
    page = httpx.get(link.group(1))
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    flow = httpx.post(
        f"{server.base}/connect/flow",
        content=json.dumps({"route": "session_start", "connect_token": link.group(2)}),
    )
    assert flow.json()["route"] == "provider_select"
    assert flow.json()["data"]["postal_address"]["post_code"] == "SW1A 2AA"

    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert key not in secret_file.read_text()


def test_restart_keeps_accounts_and_tokens_and_does_not_make_a_second_demo(server):
    output = server.start()
    account_id = re.search(r"account id:\s+(acc_[0-9a-f]{24})", output).group(1)
    key = re.search(r"test API key:\s+(sk_test_[0-9a-f]{32})", output).group(1)
    token = httpx.get(f"{server.base}/login", auth=(account_id, key)).json()["bearer_token"]

    server.stop(signal.SIGKILL)  # a crash, not a clean shutdown
    output = server.start()
    assert "First run" not in output
    # Each start prints a fresh link (sessions expire), for the same demo location.
    assert output.count("/connect/web?fp_cot=cot_") == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.base}/account", headers=headers).json()["id"] == account_id
    assert httpx.get(f"{server.base}/login", auth=(account_id, key)).status_code == 200


def test_served_openapi_and_docs(server):
    server.start()
    spec = httpx.get(f"{server.base}/openapi.json").json()
    assert {"/login", "/account", "/health"} <= set(spec["paths"])
    docs = httpx.get(f"{server.base}/docs")
    assert docs.status_code == 200
    assert "openapi.json" in docs.text
