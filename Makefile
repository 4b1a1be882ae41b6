# rsc-service. Every target creates or reuses .venv and installs what is missing, so a fresh clone needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
BENCH ?= all
PYTEST_ARGS ?=

.PHONY: demo test lint fmt typecheck architecture openapi openapi-check test-sqlite test-postgres conformance bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	RSC_ALLOW_INSECURE_LOCAL=true $(BIN)/rsc-service demo

test: $(STAMP) lint typecheck architecture openapi-check test-sqlite test-postgres conformance
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

typecheck: $(STAMP)
	$(BIN)/mypy

architecture: $(STAMP)
	$(BIN)/lint-imports

openapi: $(STAMP)
	$(BIN)/rsc-service openapi

openapi-check: $(STAMP)
	$(BIN)/rsc-service openapi --check

test-sqlite: $(STAMP)
	@echo "== pytest on SQLite =="
	RSC_TEST_DATABASE=sqlite $(BIN)/pytest -q -p no:cacheprovider --ignore=tests/conformance $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== pytest on PostgreSQL =="
	./scripts/ensure-postgres.sh
	RSC_TEST_DATABASE=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider --ignore=tests/conformance $(PYTEST_ARGS)

conformance: $(STAMP)
	@echo "== LinkedIn's Postman collection against the simulator (newman) =="
	@test -d tests/conformance/node_modules || npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
	$(BIN)/pytest -q -p no:cacheprovider tests/conformance

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache rsc-service.db*
