# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/chibo run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite runs on SQLite, then again on PostgreSQL (127.0.0.1:5432, database `test`) when it answers.
test: $(STAMP) lint
	$(BIN)/python -m pytest
	@if $(BIN)/python -m tests.pg_available; then \
		echo "PostgreSQL answers: running the suite again on PostgreSQL"; \
		$(BIN)/python -m pytest --db=postgres; \
	else echo "PostgreSQL at 127.0.0.1:5432 does not answer: SQLite run only"; fi

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
