# Renkou 人口 — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export RENKOU_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run test lint migrations-check clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/renkou migrate --noinput
	$(BIN)/renkou demo --if-empty
	$(BIN)/renkou serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

migrations-check: install
	$(BIN)/renkou makemigrations --check --dry-run

# The whole suite on the database DATABASE_URL names (SQLite when unset).
test: install lint migrations-check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis test-results
