"""Fixtures for the command's tests: a fresh database of the kind under test, as the
environment a `tariffconnect` process reads."""

import os
import subprocess
import sys

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.e2e.server import fresh_database_url


@pytest.fixture
def fresh_env(tmp_path):
    """(database URL, environment) of a new, empty database."""
    with fresh_database_url(TEST_DATABASE_URL, tmp_path) as url:
        env = os.environ | {
            "TARIFFCONNECT_DATABASE_URL": url,
            "TARIFFCONNECT_DATA_DIR": str(tmp_path),
        }
        yield url, env


def tariffconnect(env, *args):
    """Run `tariffconnect ARGS` as a real process; its CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", "tariffconnect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
