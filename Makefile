# Everything a fresh clone needs: `make run`, `make test`, `make bench`.
# Installs are incremental: each stamp is rebuilt only when what it depends on changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --quiet --disable-pip-version-check
PY_STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.models
DATA ?= ../shared/data
PORT ?= 3000

# The web app (app/): node_modules from package-lock.json, built into app/dist for the server.
APP := app
APP_STAMP := $(APP)/node_modules/.installed
APP_BUILD := $(APP)/dist/index.html
APP_SOURCES := $(shell find $(APP)/src $(APP)/public -type f 2>/dev/null) $(APP)/index.html \
	$(APP)/vite.config.ts $(APP)/tsconfig.json $(APP)/tsconfig.base.json \
	srv/gazertc/protocol/schema.json
NPM_RUN := npm --prefix $(APP) run --silent

.PHONY: all install run test lint typecheck pytest bench clean
.PHONY: app app-install app-check e2e chromium screenshot protocol-types

all: install app

install: $(PY_STAMP) $(MODELS_STAMP)

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install pip==25.3
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

$(MODELS_STAMP): $(PY_STAMP) models/manifest.json
	$(PY) -m gazertc.models fetch
	touch $@

run: install $(APP_BUILD)
	$(VENV)/bin/gazertc serve --port $(PORT) --static-dir $(APP)/dist

app-install: $(APP_STAMP)

$(APP_STAMP): $(APP)/package.json $(APP)/package-lock.json
	cd $(APP) && npm ci --no-audit --no-fund
	touch $@

app: $(APP_BUILD)

$(APP_BUILD): $(APP_STAMP) $(APP_SOURCES)
	$(NPM_RUN) build
	touch $@

# Typecheck (app and tests), lint, and the vitest unit and contract tests.
app-check: $(APP_STAMP)
	$(NPM_RUN) typecheck
	$(NPM_RUN) lint
	$(NPM_RUN) test

# After a change to srv/gazertc/protocol/schema.json: regenerate the app's protocol types (a vitest
# test fails until they match).
protocol-types: $(APP_STAMP)
	$(NPM_RUN) generate:protocol

# Debian's chromium for the browser test (never a Playwright browser download).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# The browser end-to-end test: real server, headless Chromium, fake camera from a real video.
e2e: install $(APP_BUILD) chromium
	GAZERTC_DATA=$(DATA) $(NPM_RUN) e2e

# Refresh docs/screenshot.png (the e2e test takes it).
screenshot: install $(APP_BUILD) chromium
	GAZERTC_DATA=$(DATA) GAZERTC_SCREENSHOT=../docs/screenshot.png $(NPM_RUN) e2e

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check srv tests bench $(APP)/e2e
	$(VENV)/bin/ruff format --check srv tests bench $(APP)/e2e

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

pytest: install
	GAZERTC_DATA=$(DATA) $(PY) -m pytest

test: lint typecheck pytest app-check e2e

bench: install
	GAZERTC_DATA=$(DATA) $(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	rm -rf $(APP)/node_modules $(APP)/dist test-output
