"""Feed tokens through the real command and a real server: made, listed and revoked with
`tariffconnect feed-token`; any token that opens nothing is one 404; the token is in no log."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from tests.cli.conftest import tariffconnect
from tests.feeds.support import DAY_BEFORE_DST_END, Site, running_site
from tests.tariffs.support import flat, tariff_body

pytestmark = pytest.mark.e2e

FEEDS = ("evcc.json", "homeassistant.json", "cheapest.ics", "cheapest.ics?hours=2")
CONTEXTS = {
    "evcc.json": "api.feed_evcc",
    "homeassistant.json": "api.feed_homeassistant",
    "cheapest.ics": "api.feed_cheapest_calendar",
}
VARYING = {"request_id", "time_created"}  # every answer's own


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with running_site(tmp_path_factory.mktemp("tokens"), clock=DAY_BEFORE_DST_END) as running:
        yield running


def priced_location(site: Site) -> str:
    location_id = site.location()
    site.post("/tariffs", tariff_body(location_id, flat(0.2)))
    return location_id


def cli(site: Site, *args: str):
    return tariffconnect(site.env, "feed-token", *args)


def listed(site: Site, location_id: str) -> list[dict]:
    done = cli(site, "list", "--location", location_id, "--json")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def not_found_body(site: Site, path: str) -> dict:
    response = site.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/json"
    return {k: v for k, v in response.json().items() if k not in VARYING}


def test_create_list_and_revoke_by_id_or_by_token(site):
    location_id = priced_location(site)
    first, second = site.feed_token(location_id), site.feed_token(location_id)
    assert re.fullmatch(r"ft_[0-9a-f]{48}", first) and first != second
    rows = listed(site, location_id)
    assert [row["token_hint"] for row in rows] == [f"ft_…{second[-4:]}", f"ft_…{first[-4:]}"]
    assert [row["time_revoked"] for row in rows] == [None, None]
    assert all(re.fullmatch(r"fdt_[0-9a-f]{24}", row["id"]) for row in rows)
    assert first not in json.dumps(rows) and second not in json.dumps(rows)
    assert site.get(f"/feeds/{first}/evcc.json").status_code == 200

    by_id = cli(site, "revoke", rows[1]["id"])  # the first token, by its id
    assert (by_id.returncode, by_id.stdout) == (0, f"revoked {rows[1]['id']}\n")
    by_token = cli(site, "revoke", second)
    assert (by_token.returncode, by_token.stdout) == (0, f"revoked {rows[0]['id']}\n")
    assert all(row["time_revoked"].endswith("Z") for row in listed(site, location_id))
    for token in (first, second):
        for feed in FEEDS:
            assert site.get(f"/feeds/{token}/{feed}").status_code == 404

    # Human output names the feeds' URLs.
    made = cli(site, "create", "--location", location_id)
    assert made.returncode == 0, made.stderr
    token = re.search(r"token: (ft_[0-9a-f]{48})", made.stdout).group(1)
    assert f"/feeds/{token}/evcc.json" in made.stdout
    assert f"/feeds/{token}/cheapest.ics?hours=3" in made.stdout


def test_commands_refuse_what_does_not_exist(site):
    missing = "loc_" + "0" * 24
    for args in (("create", "--location", missing), ("list", "--location", missing)):
        done = cli(site, *args)
        assert (done.returncode, done.stderr) == (1, f"error: No location {missing}.\n")
    for name in ("fdt_" + "0" * 24, "ft_" + "0" * 48, "nonsense"):
        done = cli(site, "revoke", name)
        assert (done.returncode, done.stderr) == (1, "error: No such feed token.\n")


def test_an_unknown_a_revoked_and_a_junk_token_are_one_and_the_same_404(site):
    location_id = priced_location(site)
    revoked = site.feed_token(location_id)
    assert cli(site, "revoke", revoked).returncode == 0
    unknown = "ft_" + secrets.token_hex(24)
    for feed in FEEDS:
        bodies = [
            not_found_body(site, f"/feeds/{token}/{feed}")
            for token in (revoked, unknown, "ft_short", "%00", "x" * 300)
        ]
        context = CONTEXTS[feed.partition("?")[0]]
        assert (
            bodies
            == [
                {
                    "object": "error",
                    "type": "invalid_request",
                    "code": "feed_not_found",
                    "message": "No such feed.",
                    "context": context,
                    "live_mode": False,
                }
            ]
            * 5
        )


def test_hours_must_be_a_whole_number_from_1_to_23(site):
    token = site.feed_token(priced_location(site))
    for bad in ("0", "24", "-1", "1.5", "three", "", "٣", "99999999999999999999"):
        response = site.get(f"/feeds/{token}/cheapest.ics?hours={bad}")
        assert response.status_code == 400, (bad, response.text)
        body = response.json()
        assert (body["code"], body["message"]) == (
            "hours_invalid",
            "hours must be a whole number from 1 to 23.",
        )
    assert site.get(f"/feeds/{token}/cheapest.ics?hours=23").status_code == 200
    # An unknown token stays the 404, whatever the query says.
    unknown = "ft_" + secrets.token_hex(24)
    assert site.get(f"/feeds/{unknown}/cheapest.ics?hours=0").status_code == 404


def test_a_location_without_a_tariff_says_so(site):
    token = site.feed_token(site.location())
    for feed in FEEDS:
        response = site.get(f"/feeds/{token}/{feed}")
        assert (response.status_code, response.json()["code"]) == (422, "no_tariff_connected")


def test_the_token_is_in_no_log_line(site):
    location_id = priced_location(site)
    token = site.feed_token(location_id)
    revoked = site.feed_token(location_id)
    assert cli(site, "revoke", revoked).returncode == 0
    for feed in FEEDS:
        assert site.get(f"/feeds/{token}/{feed}").status_code == 200
        assert site.get(f"/feeds/{revoked}/{feed}").status_code == 404
    log = site.log_so_far()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "tariffconnect.request"]
    routes = {(line["route"], line["status"]) for line in requests}
    assert {
        ("/feeds/{token}/evcc.json", 200),
        ("/feeds/{token}/homeassistant.json", 404),
        ("/feeds/{token}/cheapest.ics", 200),
    } <= routes
    assert token not in log and revoked not in log
    assert token[3:] not in log and revoked[3:] not in log
