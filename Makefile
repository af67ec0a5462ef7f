# Every target sets up what it needs: `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install test test-postgres check lint fmt typecheck demo bench clean

help:
	@echo "make test   - run the test suite (starts its own Dovecot and PostgreSQL when installed)"
	@echo "make demo   - poll a local demo IMAP server with sample submissions and show the tables"
	@echo "make check  - lint, format check, mypy --strict, tests"
	@echo "make test-postgres - the test suite again, every database on PostgreSQL"
	@echo "make bench  - run the benchmarks"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest $(ARGS)

test-postgres: $(STAMP)
	TDL_TEST_DATABASE=postgres $(BIN)/pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

demo: $(STAMP)
	$(BIN)/python -m demo

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache
