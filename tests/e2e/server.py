"""Run `tariffconnect serve` as a real process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database_url(test_url: str, data_dir: Path) -> Iterator[str]:
    """An empty database of the kind under test: a new SQLite file or a new PostgreSQL database."""
    if not test_url:
        yield f"sqlite:///{data_dir / 'e2e.db'}"
        return
    name = f"tc_e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(test_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(test_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "TARIFFCONNECT_DATA_DIR": str(data_dir),
            "TARIFFCONNECT_DATABASE_URL": database_url,
            "TARIFFCONNECT_PORT": str(self.port),
            **env,
        }
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self, timeout: float = 30) -> str:
        """Start and wait until /health answers; return what the server printed before that."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tariffconnect", "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise TimeoutError("server did not answer /health")
        # Everything before uvicorn's start-up lines has been printed by now.
        os.set_blocking(self.process.stdout.fileno(), False)  # type: ignore[union-attr]
        self.output = self.process.stdout.read() or ""  # type: ignore[union-attr]
        return self.output

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=15)
        self.process = None
