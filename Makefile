# The README's two commands: `make setup` then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test lint run clean

setup: $(BIN)/kompis
	@if [ -f package.json ]; then npm install --no-audit --no-fund; fi

$(BIN)/kompis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

test: $(BIN)/kompis
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(BIN)/kompis
	$(BIN)/ruff check engine web tests

run: setup
	$(BIN)/kompis run

clean:
	rm -rf $(VENV) node_modules *.egg-info
