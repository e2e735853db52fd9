# The two commands of the Quick start: `make run` and `make test`. Both need only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINTED := src tests $(wildcard bench) clients/python/src scripts/generate-sdk-models
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test lint typecheck chromium axe clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

# The SDK (clients/python) is its own distribution; the tests run it against a real server.
$(VENV)/.test-installed: $(VENV)/.run-installed clients/python/pyproject.toml
	$(PIP) -e '.[test]' -e clients/python
	touch $@

run: $(VENV)/.run-installed
	$(BIN)/tariffconnect serve

lint: $(VENV)/.test-installed
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

# Browser tests need Debian's Chromium; scripts/install-chromium installs it when missing.
chromium:
	scripts/install-chromium

# The accessibility test injects axe-core (tests/browser/axe/package.json pins it) into the
# pages; scripts/install-axe runs `npm ci` there when it is missing or another version.
axe:
	scripts/install-axe

# Test files run in parallel, one file to a worker at a time (`--dist loadfile`: a file's
# module fixtures and servers stay in one process); each worker has its own PostgreSQL database
# (tests/conftest.py). Many tests wait on servers they start, so more workers than cores pay.
TEST_WORKERS ?= 3
test: lint typecheck chromium axe
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
