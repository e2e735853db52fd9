"""The by-amount solver's libraries (scipy, numpy: about 66 MiB) are loaded only when a
schedule by amount is asked for, so an API process or worker that never solves one does not
hold them (issue 17: a server process's memory)."""

import json
import subprocess
import sys

HEAVY = ("scipy", "numpy")


def loaded_after(code: str) -> list[str]:
    found = f"[m for m in {HEAVY!r} if m in sys.modules]"
    probe = f"import json, sys\n{code}\nprint(json.dumps({found}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    names: list[str] = json.loads(done.stdout)
    return sorted(names)


def test_the_app_and_the_command_line_start_without_the_solver():
    assert loaded_after("import tariffconnect.app, tariffconnect.cli") == []


def test_the_solver_loads_with_its_module():
    assert loaded_after("import tariffconnect.schedules.amount") == ["numpy", "scipy"]
