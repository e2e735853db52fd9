"""What the feed tests share: a real `tariffconnect serve` process at a chosen moment, an
account on it, and the checks that read a feed the way evcc and Home Assistant read it."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.cli.conftest import tariffconnect
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import Server, fresh_database_url

CLOCK_DIR = Path(__file__).parent / "clock"
# Europe/London leaves summer time on 25 October 2026 at 01:00 UTC (02:00 BST -> 01:00 GMT).
DAY_BEFORE_DST_END = "2026-10-24T12:05:00+00:00"
LONDON = {"postal_address": {"city": "London", "country_code": "GB"}}


@dataclass
class Site:
    """A running server, the environment its commands read, and an account's bearer."""

    server: Server
    env: dict[str, str]
    database_url: str
    headers: dict[str, str]

    @property
    def base(self) -> str:
        return self.server.base

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base}{path}", json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.patch(f"{self.base}{path}", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def location(self) -> str:
        return str(self.post("/locations", LONDON)["id"])

    def feed_token(self, location_id: str) -> str:
        made = tariffconnect(self.env, "feed-token", "create", "--location", location_id, "--json")
        assert made.returncode == 0, made.stderr
        return str(json.loads(made.stdout)["token"])

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", timeout=30)

    def log_so_far(self) -> str:
        """What the server has printed since it started (its request log among it)."""
        time.sleep(0.5)  # the request log line is written as the answer completes
        process = self.server.process
        assert process is not None and process.stdout is not None
        self.server.output += process.stdout.read() or ""
        return self.server.output


@contextmanager
def running_site(data_dir: Path, *, clock: str) -> Iterator[Site]:
    """A fresh database, a server on it whose clock reads `clock`, and an account."""
    with fresh_database_url(TEST_DATABASE_URL, data_dir) as url:
        env = os.environ | {
            "TARIFFCONNECT_DATABASE_URL": url,
            "TARIFFCONNECT_DATA_DIR": str(data_dir),
        }
        paths = [str(CLOCK_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
        server = Server(
            data_dir,
            url,
            PYTHONPATH=os.pathsep.join(paths),
            TARIFFCONNECT_TEST_CLOCK=clock,
            TARIFFCONNECT_WORKER_IN_PROCESS="false",
            TARIFFCONNECT_DEMO_ACCOUNT="false",
            TARIFFCONNECT_ACCESS_LOG="true",
            TARIFFCONNECT_LOG_FORMAT="json",
            # Tests fetch a feed faster than software polls it (test_tokens.py meets the limit).
            TARIFFCONNECT_RATE_LIMIT_FEED="1000/second",
        )
        made = tariffconnect(env, "account", "create", "--json")
        assert made.returncode == 0, made.stderr
        account = json.loads(made.stdout)
        server.start()
        try:
            login = httpx.get(
                f"{server.base}/login", auth=(account["account_id"], account["test_api_key"])
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['bearer_token']}"}
            yield Site(server=server, env=env, database_url=url, headers=headers)
        finally:
            server.stop(signal.SIGKILL)


# --- reading a feed as its consumers do -------------------------------------------------------

# Go's time.Time.UnmarshalJSON: RFC 3339, a 4-digit year, `T`, seconds, an offset or Z.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def read_as_evcc(response: httpx.Response) -> list[tuple[datetime, datetime, float]]:
    """The rates evcc's `custom` tariff takes from a `forecast` source (tariff/tariff.go):
    the body decoded by Go's encoding/json into `api.Rates`, `[]struct{Start, End time.Time;
    Value float64}` with the JSON names start/end/value (matched regardless of case, other
    fields ignored), then looked up with `Rates.At`, which needs them sorted and apart."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    decoded = json.loads(response.content)
    assert isinstance(decoded, list)
    rates = []
    for item in decoded:
        fields = {key.lower(): value for key, value in item.items()}
        start, end, value = fields["start"], fields["end"], fields["value"]
        assert isinstance(start, str) and _RFC3339.fullmatch(start), start
        assert isinstance(end, str) and _RFC3339.fullmatch(end), end
        assert isinstance(value, int | float) and not isinstance(value, bool), value
        rates.append((datetime.fromisoformat(start), datetime.fromisoformat(end), float(value)))
    for (_, end, _), (start, _, _) in itertools.pairwise(rates):
        assert end <= start  # sorted and not overlapping, as Rates.At's binary search needs
    return rates


# The REST sensor of docs/integrations.md: its value_template and json_attributes.
HA_VALUE_KEY = "current_price"
HA_ATTRIBUTES = [
    "current_price",
    "unit",
    "currency",
    "unit_of_measurement",
    "min",
    "max",
    "mean",
    "average",
    "today",
    "tomorrow",
    "raw_today",
    "raw_tomorrow",
    "tomorrow_valid",
    "last_updated",
]


def read_as_home_assistant(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """(state, attributes) as Home Assistant's RESTful sensor makes them: `value_template:
    "{{ value_json.current_price }}"` renders the state as text (at most 255 characters), and
    each `json_attributes` key present at the top of the object becomes an attribute. Then
    the checks the Nord Pool consumers (EV Smart Charging, Cheapest Energy Hours) make:
    `raw_today`/`raw_tomorrow` items with ISO start and end that carry an offset, and `today`
    / `tomorrow` the same values."""
    assert response.status_code == 200, response.text
    value_json = json.loads(response.content)
    assert isinstance(value_json, dict)
    state = str(value_json[HA_VALUE_KEY])
    assert len(state) <= 255
    attributes = {key: value_json[key] for key in HA_ATTRIBUTES if key in value_json}
    for raw, values in (("raw_today", "today"), ("raw_tomorrow", "tomorrow")):
        for item in attributes[raw]:
            assert set(item) == {"start", "end", "value"}
            for key in ("start", "end"):
                assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert attributes[values] == [item["value"] for item in attributes[raw]]
    return state, attributes


def runs(rates: list[tuple[datetime, datetime, float]]) -> list[tuple[str, str, float]]:
    """Consecutive rates of one value merged: (start, end, value), times in UTC text."""
    merged: list[list[Any]] = []
    for start, end, value in rates:
        if merged and merged[-1][2] == value and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end, value])
    return [(_utc(a), _utc(b), v) for a, b, v in merged]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
