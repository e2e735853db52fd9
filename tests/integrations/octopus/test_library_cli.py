"""`tariffconnect library sync --source octopus` as a real process on a fresh database,
against the fixture Octopus API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tariffconnect.db import Database
from tariffconnect.db.migrate import upgrade
from tariffconnect.tariffs.library_models import SyncedLibraryTariff
from tests.cli.conftest import tariffconnect
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import fresh_database_url
from tests.integrations.octopus.fixture_server import (
    fail_with_503,
    octopus_api,
    product_detail,
    product_row,
    regional_tariff,
)
from tests.integrations.octopus.test_library_sync import published


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[Database, dict[str, str]]]:
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        db = Database(url, pool_size=1)
        upgrade(db.engine)
        env = os.environ | {
            "TARIFFCONNECT_DATABASE_URL": url,
            "TARIFFCONNECT_DATA_DIR": str(tmp_path),
            "TARIFFCONNECT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        try:
            yield db, env
        finally:
            db.dispose()


def count(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(SyncedLibraryTariff)) or 0)


def test_sync_then_a_failing_sync_that_changes_nothing(
    fresh: tuple[Database, dict[str, str]],
) -> None:
    db, env = fresh
    data = published()
    # The process runs on the real clock: only products whose rates are open-ended, so the
    # answer is the same on any day (Go's windows are read from dated rows).
    data.products = [p for p in data.products if p["code"] != "GO-VAR-22-10-14"]
    with octopus_api(data) as (server, _):
        env = env | {"TARIFFCONNECT_OCTOPUS_API_URL": server.url}
        done = tariffconnect(env, "library", "sync", "--source", "octopus")
        assert (done.returncode, done.stdout) == (
            0,
            "2 products, 4 entries on offer, 0 withdrawn\n",
        )
        fail_with_503(data, times=40)
        failed = tariffconnect(env, "library", "sync", "--source", "octopus")
    assert failed.returncode == 1
    assert "library sync failed, the library is unchanged" in failed.stderr
    assert "Octopus answered HTTP 503, 4 tries" in failed.stderr
    assert count(db) == 4


def test_an_odd_product_is_skipped_and_said_so(fresh: tuple[Database, dict[str, str]]) -> None:
    db, env = fresh
    data = published()
    data.products = [p for p in data.products if p["code"] != "GO-VAR-22-10-14"]
    cosy = product_row("COSY-22-12-08", display_name="Cosy Octopus")
    data.products.append(cosy)
    # Region "_Z" is none of the 14: the answer is not shaped as documented.
    tariff = regional_tariff("E-1R-COSY-22-12-08-C", 50.0, standard_unit_rate=25.0)
    data.details["COSY-22-12-08"] = product_detail(cosy, single={"Z": tariff})
    reason = "the Octopus answer has an unknown GSP group in single_register_electricity_tariffs"
    with octopus_api(data) as (server, _):
        env = env | {"TARIFFCONNECT_OCTOPUS_API_URL": server.url}
        done = tariffconnect(env, "library", "sync", "--source", "octopus")
    assert (done.returncode, done.stdout) == (
        0,
        "3 products, 4 entries on offer, 0 withdrawn, 1 skipped\n"
        f"skipped COSY-22-12-08: {reason}\n",
    )
    assert f"skipped product 'COSY-22-12-08': {reason}" in done.stderr
    assert count(db) == 4


def test_an_unknown_source_is_refused(fresh: tuple[Database, dict[str, str]]) -> None:
    db, env = fresh
    done = tariffconnect(env, "library", "sync", "--source", "eon")
    assert done.returncode == 1
    assert "unknown source 'eon': one of octopus" in done.stderr
    assert count(db) == 0
