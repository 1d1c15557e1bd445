# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Exact versions for every install (make run, make test, CI, the Dockerfile); `make lock`
# re-resolves them after a change to the ranges in pyproject.toml.
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt
UV_COMPILE := SSL_CERT_FILE=$${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt} \
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --no-header --quiet \
	--index-strategy unsafe-best-match

.PHONY: run test lint typecheck pytest fuzz migrate bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)

# The demo logins get known passwords (printed); refused, and skipped, under another config.
run: $(VENV)/.installed
	$(BIN)/leadintake migrate
	-$(BIN)/leadintake demo-passwords
	$(BIN)/leadintake serve

migrate: $(VENV)/.installed
	$(BIN)/leadintake migrate

test: $(VENV)/.installed-dev lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Two pytest-xdist workers (PYTEST_WORKERS=0: one process): much of the suite waits on loopback
# HTTP, PostgreSQL, Chromium or Dovecot rather than computing. A file's tests stay on one worker
# in their order (a module's Dovecot or `leadintake serve` starts once, and the journeys build
# on each other); every worker has its own Chromium and databases. Not loadgroup: on pytest 9.2
# it silently stops grouping (pytest-dev/pytest-xdist#1386).
PYTEST_WORKERS ?= 2
pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -q -rx -n $(PYTEST_WORKERS) --dist loadfile

# A longer schemathesis run than the one in `make test` (same seed unless LEADINTAKE_FUZZ_SEED).
fuzz: $(VENV)/.installed-dev
	LEADINTAKE_FUZZ_SECONDS=$${LEADINTAKE_FUZZ_SECONDS:-300} $(BIN)/pytest -q -rxX tests/contract/test_schemathesis.py

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/intake_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
