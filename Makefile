# Every target sets up what it needs: `make test` and `make demo` work on a fresh clone.
# Dependencies come from the lock files only (pip --require-hashes; see scripts/lock.sh):
# `make install` puts what the service needs into .venv, `make install-dev` adds the tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVICE_LOCK := requirements/service.lock
DEV_LOCK := requirements/dev.lock
SERVICE_STAMP := $(VENV)/.installed-service
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install -q

.PHONY: help install install-dev wheel lock lock-check test test-postgres check lint fmt typecheck demo bench clean

help:
	@echo "make install     - .venv with tdl-inbox and what the service needs (for a course)"
	@echo "make install-dev - that plus the developer tools (pytest, mypy, ruff, pymap, ...)"
	@echo "make test   - run the test suite (starts its own Dovecot and PostgreSQL when installed)"
	@echo "make demo   - poll a local demo IMAP server with sample submissions and show the tables"
	@echo "make check  - lint, format check, mypy --strict, tests"
	@echo "make test-postgres - the test suite again, every database on PostgreSQL"
	@echo "make bench  - run the benchmarks"
	@echo "make wheel  - build dist/tdl_inbox-VERSION-py3-none-any.whl (and the sdist)"
	@echo "make lock   - re-lock requirements/*.lock after editing pyproject.toml (ARGS=--upgrade)"
	@echo "make lock-check - fail if the lock files do not match pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# tdl-inbox itself goes in editable and without dependencies: those come from the lock alone.
$(SERVICE_STAMP): pyproject.toml $(SERVICE_LOCK) | $(BIN)/python
	$(PIP) --require-hashes -r $(SERVICE_LOCK)
	$(PIP) --no-deps -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(PIP) --require-hashes -r $(DEV_LOCK)
	$(PIP) --no-deps -e .
	touch $@

install: $(SERVICE_STAMP)

install-dev: $(DEV_STAMP)

wheel: $(DEV_STAMP)
	$(BIN)/python -m build --outdir dist .

lock: $(DEV_STAMP)
	UV=$(BIN)/uv scripts/lock.sh $(ARGS)

lock-check: $(DEV_STAMP)
	UV=$(BIN)/uv scripts/lock.sh --check

test: $(DEV_STAMP)
	$(BIN)/pytest $(ARGS)

test-postgres: $(DEV_STAMP)
	TDL_TEST_DATABASE=postgres $(BIN)/pytest $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check: lint typecheck test

demo: $(DEV_STAMP)
	$(BIN)/python -m demo

bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache
