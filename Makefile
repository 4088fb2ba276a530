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

migrations-check: install
	$(BIN)/renkou makemigrations --check --dry-run

# The whole suite on the database DATABASE_URL names (SQLite when unset), on PYTEST_WORKERS
# pytest-xdist workers, each with its own test database (pytest-django suffixes the name with
# the worker id; SQLite's is in memory) and RENKOU_DATA_DIR/xdist-gwN (tests/conftest.py).
# loadfile: a test file runs on one worker, so module fixtures and the Spark session
# (tests/analytics/test_engines.py) start once. (loadgroup would be finer, but xdist 3.8's
# groups do not reach the scheduler under pytest 9: node ids are no longer plain strings.)
PYTEST_WORKERS ?= 2
test: install lint migrations-check
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis test-results
