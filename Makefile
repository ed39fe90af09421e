# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean system

# What the papers (PDF: WeasyPrint) need from the system: Pango and a font covering Vietnamese.
# Installed with apt when missing (as root, or through sudo); nothing happens when present.
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
system:
	@if ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && fc-list 2>/dev/null | grep -qi 'DejaVu Serif'; then :; \
	else echo "installing Pango and DejaVu fonts for the PDF papers"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; fi

$(STAMP): pyproject.toml | system
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
