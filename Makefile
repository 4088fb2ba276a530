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

# The whole suite on the database DATABASE_URL names (SQLite when unset), on PYTEST_WORKERS
# pytest-xdist workers, each with its own test database (pytest-django suffixes the name with
# the worker id; SQLite's is in memory) and RENKOU_DATA_DIR/xdist-gwN (tests/conftest.py).
# --dist load (by test, not loadfile/loadscope/loadgroup): the scope schedulers key their work by
# node id and would silently drop the schemathesis tests, 51 items sharing 3 node ids.
PYTEST_WORKERS ?= 2
test: install lint migrations-check
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist load

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis test-results
