# The README's two commands: `make setup` then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test lint run clean system-packages diagrams translations frontend

setup: system-packages $(BIN)/kompis node_modules/.package-lock.json translations frontend

# The English catalogue (Swedish is the source language); .mo files are built, not committed.
translations: $(BIN)/kompis
	$(BIN)/pybabel compile -d web/translations

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The modeler pages' ES modules (bpmn-js, its properties panel, dmn-js, bpmnlint) bundled by esbuild
# into web/static/build/ (not committed), rebuilt when a source or the npm packages change.
MODELER_SOURCES := $(wildcard web/static/js/modeler/*.js web/static/js/modeler/*.css web/static/js/modeler/*.mjs)
frontend: web/static/build/.built
web/static/build/.built: node_modules/.package-lock.json $(MODELER_SOURCES)
	node web/static/js/modeler/build.mjs
	@touch $@

# Debian packages: Chromium for the browser tests (never a downloaded browser), Pango and fonts
# for WeasyPrint's PDFs. Installed only when one is missing (needs root then).
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installerar $$missing"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

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

# The web app on http://127.0.0.1:5000 with an SQLite database and demo data (made once).
run: setup
	$(BIN)/kompis demo --if-empty
	$(BIN)/kompis run

clean:
	rm -rf $(VENV) node_modules *.egg-info
