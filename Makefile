# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest fuzz migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/leadintake migrate
	$(BIN)/leadintake serve

migrate: $(VENV)/.installed
	$(BIN)/leadintake migrate

test: $(VENV)/.installed-dev lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest -q -rx

# A longer schemathesis run than the one in `make test` (same seed unless LEADINTAKE_FUZZ_SEED).
fuzz: $(VENV)/.installed-dev
	LEADINTAKE_FUZZ_SECONDS=$${LEADINTAKE_FUZZ_SECONDS:-300} $(BIN)/pytest -q -rxX tests/contract/test_schemathesis.py

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/intake_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
