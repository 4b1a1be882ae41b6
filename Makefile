# rsc-service. Every target creates or reuses .venv and installs what is missing, so a fresh clone needs nothing else.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
BENCH ?= all
PYTEST_ARGS ?=
# Test processes per pass. Many tests wait on subprocesses, servers and the database, so a pass on two
# workers takes about half the time of one on a 2-core machine; more workers than cores gained nothing.
TEST_WORKERS ?= auto

.PHONY: demo test lint fmt typecheck architecture openapi openapi-check test-sqlite test-postgres conformance bench audit clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	@# pip and setuptools too: the venv arrives with Python's bundled copies, which have known advisories.
	@$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]' setuptools pip
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
	./scripts/ensure-chromium.sh
	RSC_TEST_DATABASE=sqlite $(BIN)/pytest -q -p no:cacheprovider --ignore=tests/conformance -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== pytest on PostgreSQL =="
	./scripts/ensure-postgres.sh
	./scripts/ensure-chromium.sh
	RSC_TEST_DATABASE=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider --ignore=tests/conformance -n $(TEST_WORKERS) $(PYTEST_ARGS)

conformance: $(STAMP)
	@echo "== LinkedIn's Postman collection against the simulator (newman) =="
	@test -d tests/conformance/node_modules || npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
	$(BIN)/pytest -q -p no:cacheprovider tests/conformance

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

# Every pin in constraints.txt against the published advisories (PyPI's and OSV's); needs them reachable.
audit:
	@test -x .venv-audit/bin/pip-audit || ($(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install --quiet "pip-audit==2.10.1")
	.venv-audit/bin/pip-audit --vulnerability-service pypi --requirement constraints.txt --no-deps --disable-pip --strict
	.venv-audit/bin/pip-audit --vulnerability-service osv --requirement constraints.txt --no-deps --disable-pip --strict

clean:
	rm -rf $(VENV) .venv-audit .mypy_cache .ruff_cache .pytest_cache rsc-service.db*
