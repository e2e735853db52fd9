"""No room reads upward: the imports of src/tariffconnect, parsed (ast), against the floors of
docs/contributing.md. Lower floors that must trigger a higher one get a hook registered at
start-up instead of an import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tariffconnect"
# The floor: core, db and config, plus the runtime they make up. They import no domain.
FLOOR = {"core", "db", "config", "runtime"}
# Only the top floor assembles the service.
TOP = {"app", "cli", "worker", "hooks", "__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every tariffconnect module `path` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "tariffconnect"}


SOURCES = {
    module_name(path): imports(path)
    for path in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in path.parts
}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def offenders(where: str, forbidden) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in SOURCES.items()
        if module == where or module.startswith(f"{where}.")
        for target in targets
        if forbidden(target)
    )


def test_the_sources_were_found():
    assert len(SOURCES) > 100
    assert "tariffconnect.core.errors" in SOURCES
    assert "tariffconnect.events.service" in SOURCES


def test_core_imports_no_domain_package():
    assert offenders("tariffconnect.core", lambda t: room(t) not in FLOOR) == []


def test_the_job_runner_imports_no_domain_package():
    allowed = FLOOR | {"jobs"}
    assert offenders("tariffconnect.jobs", lambda t: room(t) not in allowed) == []


def test_events_know_nothing_of_webhooks():
    assert offenders("tariffconnect.events", lambda t: room(t) == "webhooks") == []


def test_the_hosted_pages_read_no_table():
    def is_models(target: str) -> bool:
        return target == "tariffconnect.models" or ".models" in f".{target.split('.', 1)[1]}"

    assert offenders("tariffconnect.connect.web", is_models) == []


@pytest.mark.parametrize("top", sorted(TOP))
def test_nothing_below_imports_the_top_floor(top):
    below = [m for m in SOURCES if room(m) not in TOP and m != "tariffconnect"]
    found = [
        f"{module} imports {target}"
        for module in below
        for target in SOURCES[module]
        if room(target) == top
    ]
    assert found == []


def test_the_checker_sees_an_upward_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tariffconnect.webhooks import service as webhooks\n"
        "def later():\n    import tariffconnect.connect.models\n"
    )
    assert imports(sample) == {
        "tariffconnect.webhooks",
        "tariffconnect.webhooks.service",
        "tariffconnect.connect.models",
    }
