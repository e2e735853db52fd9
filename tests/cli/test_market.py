"""`tariffconnect market fetch`, `status` and `import`, as real processes on a fresh database,
with the public feeds served locally."""

import json

import pytest

from tariffconnect.market import sources
from tests.cli.conftest import tariffconnect
from tests.market.public_feeds import public_feeds, urls


@pytest.fixture
def env(fresh_env):
    return fresh_env[1]


def market(env, *args):
    return tariffconnect(env, "market", *args)


def feeds_env(env, server):
    settings = {f"TARIFFCONNECT_{key.upper()}": value for key, value in urls(server.url).items()}
    return env | settings | {"TARIFFCONNECT_ENTSOE_TOKEN": "test-token"}


def status_of(env, slug):
    result = market(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    return next(row for row in json.loads(result.stdout) if row["source"] == slug)


def test_fetch_a_source_for_a_day_and_see_it_in_status(env):
    with public_feeds() as server:
        fetched = market(
            feeds_env(env, server),
            "fetch",
            "--source",
            "de-lu",
            "--start",
            "2035-06-04",
            "--end",
            "2035-06-04",
        )
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == "de-lu: 96 new, 0 revised, 0 unchanged (from ENERGY_CHARTS)"
    row = status_of(env, "de-lu")
    assert row["feeds"] == ["ENERGY_CHARTS", "ENTSOE"]
    assert (row["last_published_until"], row["feed"], row["error"]) == (
        "2035-06-04T22:00:00Z",
        "ENERGY_CHARTS",
        None,
    )
    assert row["checked_at"] is not None
    table = market(env, "status")
    assert table.returncode == 0
    assert "de-lu" in table.stdout and "2035-06-04T22:00:00Z" in table.stdout


def test_fetch_without_a_source_fills_every_source(env):
    with public_feeds() as server:
        fetched = market(
            feeds_env(env, server), "fetch", "--start", "2035-06-05", "--end", "2035-06-05"
        )
    assert fetched.returncode == 0, fetched.stderr
    lines = sorted(fetched.stdout.strip().splitlines())
    expected = sorted(
        f"{s.slug}: {48 if s.country_code == 'GB' else 96} new, 0 revised, 0 unchanged "
        f"(from {s.feeds[0]})"
        for s in sources.all_sources()
    )
    assert lines == expected
    result = market(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == len(sources.all_sources()) == 41
    assert [r["source"] for r in rows if r["error"] or r["last_published_until"] is None] == []


def test_a_named_source_that_fails_exits_1_and_status_keeps_the_reason(env):
    with public_feeds(down=frozenset({"octopus"}), down_status=403) as server:
        fetched = market(
            feeds_env(env, server), "fetch", "--source", "gb-london", "--start", "2035-06-04"
        )
    assert fetched.returncode == 1
    assert fetched.stdout.strip().startswith("gb-london: nothing stored; OCTOPUS: HTTP 403")
    assert status_of(env, "gb-london")["error"].startswith("OCTOPUS: HTTP 403")


def test_fetch_refuses_an_unknown_source_and_a_bad_day(env):
    unknown = market(env, "fetch", "--source", "atlantis")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "error: no market source 'atlantis' (see `tariffconnect market status`)"
    )
    bad_day = market(env, "fetch", "--source", "de-lu", "--start", "2035-13-01")
    assert bad_day.returncode == 2
    assert "--start must be a day, YYYY-MM-DD" in bad_day.stderr


def test_import_a_csv_all_or_nothing(env, tmp_path):
    good = tmp_path / "prices.csv"
    good.write_text(
        "start,minutes,price\n2035-06-04T00:00:00+02:00,15,1.25\n2035-06-04T00:15:00+02:00,15,-0.5\n"
    )
    first = market(env, "import", "--source", "se3", str(good))
    assert (first.returncode, first.stdout.strip()) == (0, "se3: 2 new, 0 revised, 0 unchanged")
    again = market(env, "import", "--source", "se3", str(good))
    assert again.stdout.strip() == "se3: 0 new, 0 revised, 2 unchanged"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "start,minutes,price\n2035-06-05T00:00:00+02:00,15,1\n2035-06-05T00:15:00,15,x\n"
    )
    refused = market(env, "import", "--source", "se3", str(bad))
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: line 3: start '2035-06-05T00:15:00' has no offset"
    row = status_of(env, "se3")
    assert (row["last_published_until"], row["feed"]) == ("2035-06-03T22:30:00Z", "IMPORT")
