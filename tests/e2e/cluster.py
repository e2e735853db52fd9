"""Drive `scripts/cluster` from a test, read HAProxy's request log, and record every periodic
task's claims and finishes with a trigger on its lease row."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "cluster"
# The ports this machine's engineers agreed on for the cluster; CI has them to itself.
PORT_RANGE = range(18100, 18200)


def require_haproxy() -> None:
    """Skip without HAProxy on a developer's machine; under CI its absence is a failure."""
    # Debian installs it in /usr/sbin, which a user's PATH may leave out.
    if shutil.which("haproxy") is not None or os.access("/usr/sbin/haproxy", os.X_OK):
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail("haproxy is missing under CI: .ci/run installs it (scripts/install-haproxy)")
    pytest.skip("haproxy is not installed (scripts/install-haproxy installs Debian's package)")


def free_block(count: int) -> int:
    """The first port of `count` consecutive free ports in PORT_RANGE."""
    for first in range(PORT_RANGE.start, PORT_RANGE.stop - count + 1):
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports in {PORT_RANGE}")


class Cluster:
    """`scripts/cluster` with its options in the environment, and its processes' pids."""

    def __init__(self, run_dir: Path, database_url: str, first_port: int, **env: str) -> None:
        self.run_dir = run_dir
        self.port = first_port
        self.api_ports = [first_port + 1, first_port + 2]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "TC_CLUSTER_PYTHON": sys.executable,
            "TC_CLUSTER_API": "2",
            "TC_CLUSTER_WORKERS": "2",
            "TC_CLUSTER_PORT": str(self.port),
            "TC_CLUSTER_API_PORT": str(self.api_ports[0]),
            "TC_CLUSTER_DATABASE_URL": database_url,
            "TC_CLUSTER_DIR": str(run_dir),
            **env,
        }

    def run(self, command: str) -> str:
        result = subprocess.run(
            [str(SCRIPT), command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"cluster {command}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text())

    def pids(self) -> dict[str, int]:
        return {path.stem: int(path.read_text()) for path in self.run_dir.glob("*.pid")}

    def kill(self, name: str) -> int:
        """SIGKILL one process (its whole group): a crash, with no chance to clean up.

        Returns once the process is dead: its sockets stay open (and its listening socket
        accepts connections) for a moment after the signal, until the kernel has torn it down.
        """
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        port = {f"api-{n + 1}": port for n, port in enumerate(self.api_ports)}.get(name)
        # The leader thread shows as a zombie before the others are gone, and the sockets
        # close with the last: an API process is dead once its port refuses connections.
        while not dead(pid) or (port is not None and listening(port)):
            time.sleep(0.001)
        return pid

    def log(self, name: str) -> str:
        return (self.run_dir / f"{name}.log").read_text(errors="replace")


def dead(pid: int) -> bool:
    """Gone, or a zombie (its files, sockets among them, are closed by then)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except FileNotFoundError:
        return True


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class ProxyLine:
    """One request as HAProxy logged it (scripts/cluster's log-format)."""

    id: str
    server: str
    status: int
    term: str
    retries: str
    method: str
    path: str


LINE = re.compile(
    r"tc id=(?P<id>\S+) backend=\S+ server=(?P<server>\S+) status=(?P<status>-?\d+) "
    r"term=(?P<term>\S+) retries=(?P<retries>\S+) method=(?P<method>\S+) path=(?P<path>\S+)"
)


def proxy_lines(log: str) -> dict[str, ProxyLine]:
    """The logged requests that carried an `x-load-id`, by that id."""
    lines = {}
    for match in LINE.finditer(log):
        if match["id"] != "-":
            fields = match.groupdict()
            lines[match["id"]] = ProxyLine(**(fields | {"status": int(fields["status"])}))
    return lines


# Every claim of a periodic task (a new lease token) and every finish (runs + 1), as the
# workers wrote them: the lease row keeps only the last, this keeps them all.
AUDIT = """
CREATE TABLE cluster_task_audit (
    seq bigserial PRIMARY KEY,
    kind text NOT NULL, name text NOT NULL, due_at timestamptz NOT NULL,
    lease_token text, leased_by text
);
CREATE FUNCTION cluster_task_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lease_token IS NOT NULL AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
        INSERT INTO cluster_task_audit (kind, name, due_at, lease_token, leased_by)
        VALUES ('claim', NEW.name, NEW.due_at, NEW.lease_token, NEW.leased_by);
    END IF;
    IF NEW.runs = OLD.runs + 1 THEN
        INSERT INTO cluster_task_audit (kind, name, due_at, lease_token, leased_by)
        VALUES ('finish', OLD.name, OLD.due_at, OLD.lease_token, OLD.leased_by);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER cluster_task_audit AFTER UPDATE ON periodic_tasks
FOR EACH ROW EXECUTE FUNCTION cluster_task_audit();
"""


def install_task_audit(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(AUDIT))


@dataclass(frozen=True)
class TaskEvent:
    kind: str
    name: str
    due_at: datetime
    lease_token: str
    leased_by: str


def task_audit(engine: Engine) -> list[TaskEvent]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT kind, name, due_at, lease_token, leased_by FROM cluster_task_audit"
                " ORDER BY seq"
            )
        ).all()
    return [TaskEvent(*row) for row in rows]


def make_due_now(engine: Engine, name: str) -> None:
    """Move a finished task's next due time to now, as if its schedule said so: both workers
    then race for a new due time every time it finishes, not once a minute."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE periodic_tasks SET due_at = now() WHERE name = :name"
                " AND due_at > now() AND (leased_until IS NULL OR leased_until <= now())"
            ),
            {"name": name},
        )
