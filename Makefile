# The README's two commands: `make setup` then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test lint run clean chromium diagrams

setup: $(BIN)/kompis node_modules/.package-lock.json chromium

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

diagrams: setup
	$(BIN)/python tools/render_diagrams.py

$(BIN)/kompis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

test: setup
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(BIN)/kompis
	$(BIN)/ruff check engine web tests

run: setup
	$(BIN)/kompis run

clean:
	rm -rf $(VENV) node_modules *.egg-info
