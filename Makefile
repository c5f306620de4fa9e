# AlertHub — `make run` serves the hub on its embedded default; `make test` sets up and runs every check.
# Both create .venv themselves; re-installing happens only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck unit kafka postgres bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/alerthub serve --log-format console

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(BIN)/python -m bench.soak --minutes 1

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

kafka: $(STAMP)
	$(BIN)/python -m devtools.kafka_broker

# A throw-away PostgreSQL server (Debian's package, installed once if missing); prints its URL.
postgres: $(STAMP)
	$(BIN)/python -m devtools.postgres_server

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
