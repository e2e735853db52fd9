"""The end-to-end example of docs/sdk.md, run as written against a real server: the location,
the Connect link, prices, the webhook endpoint, and the handler fed a real delivery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.sdk.test_webhooks import delivered
from tests.tariffs.support import flat
from tests.webhooks.receiver import Received, Receiver

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[2] / "docs/sdk.md"
HANDLER_PATH = "/webhooks/tariffconnect"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def delivery_of(receiver: Receiver, marker: bytes) -> Received:
    """The first delivery whose body holds `marker` (location.update may come before it)."""
    for count in range(1, 5):
        for received in delivered(receiver, count):
            if marker in received.body:
                return received
    raise AssertionError(f"no delivery with {marker!r}")


def test_the_end_to_end_example_runs_as_written(account, monkeypatch, capsys):
    example, register, handler = python_blocks()[:3]
    monkeypatch.setenv("TARIFFCONNECT_ACCOUNT_ID", account.account_id)
    monkeypatch.setenv("TARIFFCONNECT_API_KEY", account.api_key)
    monkeypatch.setenv("TARIFFCONNECT_BASE_URL", account.base_url)
    receiver = Receiver().start()
    try:
        # The endpoint's URL is the one thing changed: it must reach this machine's receiver.
        register = register.replace(f"https://app.example.com{HANDLER_PATH}", receiver.url)
        namespace: dict[str, object] = {}
        exec(compile(example + register + handler, str(DOC), "exec"), namespace)
        lines = capsys.readouterr().out.splitlines()
        assert re.fullmatch(r"loc_[0-9a-f]{24} Europe/London GBP", lines[0])
        base = re.escape(account.base_url)
        assert re.fullmatch(
            rf"Send the customer to {base}/connect/web\?fp_cot=cot_\w{{24}}", lines[1]
        )
        assert lines[2:] == ["No prices yet: no_tariff_connected"]

        # The customer connects a tariff (here through the API); the service delivers
        # tariff.create to the endpoint, and the handler of the docs accepts that delivery.
        client, location = namespace["client"], namespace["location"]
        client.tariffs.create(location_id=location.id, schedule=flat(0.2))  # type: ignore[attr-defined]
        received = delivery_of(receiver, b'"type":"tariff.create"')
        with TestClient(namespace["app"]) as app:  # type: ignore[arg-type]
            accepted = app.post(HANDLER_PATH, content=received.body, headers=received.headers)
            tampered = received.body.replace(b"tariff.create", b"tariff.delete")
            refused = app.post(HANDLER_PATH, content=tampered, headers=received.headers)
        assert (accepted.status_code, accepted.json()) == (200, {"ok": True})
        assert refused.status_code == 400
    finally:
        receiver.stop()
