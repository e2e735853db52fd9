"""`pip install clients/python` into a new, empty venv gives a package that works on its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sdk.conftest import LONDON

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_the_sdk_installs_from_its_folder_and_talks_to_the_server(account, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "--quiet"]
    pip += ["--disable-pip-version-check", "-c", str(ROOT / "constraints.txt")]
    installed = subprocess.run(
        [*pip, str(ROOT / "clients/python")], capture_output=True, text=True, timeout=600
    )
    assert installed.returncode == 0, installed.stderr
    script = textwrap.dedent(f"""
        import pathlib, tariffconnect_client
        from tariffconnect_client import Client
        package = pathlib.Path(tariffconnect_client.__file__).parent
        assert (package / "py.typed").is_file()
        assert "site-packages" in str(package), package
        client = Client(account_id={account.account_id!r}, api_key={account.api_key!r},
                        base_url={account.base_url!r})
        print(client.locations.create(postal_address={LONDON!r}).currency_code)
    """)
    # Run from an empty folder with a bare environment: nothing of this checkout is importable.
    ran = subprocess.run(
        [str(venv / "bin/python"), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "GBP\n", "")
