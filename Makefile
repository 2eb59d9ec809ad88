# Everything a fresh clone needs: `make run`, `make test`, `make bench`, `make dist`.
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
APP_SOURCES := $(shell find $(APP)/src $(APP)/public $(APP)/scripts -type f 2>/dev/null) \
	$(APP)/index.html \
	$(APP)/vite.config.ts $(APP)/tsconfig.json $(APP)/tsconfig.base.json \
	$(shell find examples/jspsych -type f 2>/dev/null) \
	srv/gazertc/protocol/schema.json srv/gazertc/__init__.py
NPM_RUN := npm --prefix $(APP) run --silent

# The browser library (clients/js/): its own node_modules, built into clients/js/dist, which the
# app's build copies into app/dist/lib (served at /lib/). Its build compiles the protocol
# validators with the app's script (ajv), so the app's install comes first.
LIB := clients/js
LIB_STAMP := $(LIB)/node_modules/.installed
LIB_BUILD := $(LIB)/dist/gazertc.js
LIB_SOURCES := $(shell find $(LIB)/src $(LIB)/scripts -type f -not -name '*.gen.js' 2>/dev/null) \
	$(LIB)/package.json $(LIB)/tsconfig.build.json \
	srv/gazertc/protocol/schema.json
LIB_NPM_RUN := npm --prefix $(LIB) run --silent

# The sdist and the wheel (with the built web app inside), named after srv/gazertc/__init__.py.
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' srv/gazertc/__init__.py)
DIST_WHEEL := dist/gazertc-$(VERSION)-py3-none-any.whl
DIST_SOURCES := $(shell find srv/gazertc -type f -not -path '*/__pycache__/*' 2>/dev/null) \
	pyproject.toml hatch_build.py README.md LICENSE models/manifest.json

.PHONY: all install run test lint typecheck pytest bench clean dist peers iris-int8
.PHONY: app app-install app-check e2e chromium postgresql screenshot protocol-types
.PHONY: lib lib-check lib-pack

all: install app

install: $(PY_STAMP) $(MODELS_STAMP)

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install pip==25.3
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

# Into the per-user cache ($$XDG_CACHE_HOME/gazertc/models); models.py says where.
$(MODELS_STAMP): $(PY_STAMP) models/manifest.json srv/gazertc/models.py
	$(VENV)/bin/gazertc models fetch
	touch $@

run: install $(APP_BUILD)
	$(VENV)/bin/gazertc serve --port $(PORT) --static-dir $(APP)/dist

app-install: $(APP_STAMP)

$(APP_STAMP): $(APP)/package.json $(APP)/package-lock.json
	cd $(APP) && npm ci --no-audit --no-fund
	touch $@

app: $(APP_BUILD)

# `pip install dist/gazertc-*.whl` then `gazertc serve` serves the whole app (README, "Install").
dist: $(DIST_WHEEL)

$(DIST_WHEEL): $(PY_STAMP) $(APP_BUILD) $(DIST_SOURCES)
	rm -rf dist
	$(VENV)/bin/hatchling build -t sdist -t wheel
	test -f $@

$(APP_BUILD): $(APP_STAMP) $(LIB_BUILD) $(APP_SOURCES)
	$(NPM_RUN) build
	touch $@

$(LIB_STAMP): $(LIB)/package.json $(LIB)/package-lock.json
	cd $(LIB) && npm ci --no-audit --no-fund
	touch $@

lib: $(LIB_BUILD)

$(LIB_BUILD): $(LIB_STAMP) $(APP_STAMP) $(LIB_SOURCES)
	$(LIB_NPM_RUN) build
	touch $@

# The library's typecheck (sources and tests), formatting, and unit tests.
lib-check: $(LIB_STAMP) $(APP_STAMP)
	$(LIB_NPM_RUN) typecheck
	$(LIB_NPM_RUN) lint
	$(LIB_NPM_RUN) test

# dist/gazertc-client-<version>.tgz: the library as an npm package, with its types.
lib-pack: $(LIB_BUILD)
	mkdir -p dist
	cd $(LIB) && npm pack --ignore-scripts --pack-destination ../../dist

# Typecheck (app and tests), lint, and the vitest unit and contract tests.
app-check: $(APP_STAMP)
	$(NPM_RUN) typecheck
	$(NPM_RUN) lint
	$(NPM_RUN) test

# After a change to srv/gazertc/protocol/schema.json: regenerate the protocol types (clients/js; a vitest
# test fails until they match).
protocol-types: $(APP_STAMP)
	$(NPM_RUN) generate:protocol

# Debian's chromium for the browser test (never a Playwright browser download).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# Debian's PostgreSQL server binaries for the tests' throwaway servers (gazertc.cluster.postgres_local).
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && apt-get install -y --no-install-recommends postgresql)

# Debian's HAProxy and coturn for `make cluster` and tests/cluster.
.PHONY: cluster haproxy coturn
haproxy:
	@command -v haproxy >/dev/null || (apt-get update && apt-get install -y --no-install-recommends haproxy)

coturn:
	@command -v turnserver >/dev/null || (apt-get update && apt-get install -y --no-install-recommends coturn)

# Two nodes behind HAProxy, with coturn and a throwaway PostgreSQL, on loopback (deploy/README.md);
# Ctrl-C stops everything. CLUSTER_HOST_TOKEN: a host token of your own (default: a new one).
CLUSTER_PORT ?= 3000
cluster: install $(APP_BUILD) haproxy coturn postgresql
	$(VENV)/bin/gazertc cluster --port $(CLUSTER_PORT) --static-dir $(APP)/dist \
		$(if $(CLUSTER_HOST_TOKEN),--host-token $(CLUSTER_HOST_TOKEN))

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

# tests/packaging installs the wheel, so the web app must be built first.
pytest: install dist postgresql haproxy coturn
	@# The int8 iris network is built from the real videos: without them its tests skip, saying so.
	@$(MAKE) --no-print-directory iris-int8 || test ! -d $(DATA)
	GAZERTC_DATA=$(DATA) $(PY) -m pytest

test: lint typecheck pytest app-check lib-check e2e

# MediaPipe for `make bench`'s comparison, in an environment of its own (it needs numpy<2). When it
# cannot be installed the bench says so and prints no ratio, so a failed install does not stop it.
PEERS_VENV := .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.installed
PEERS_PIP := $(PEERS_VENV)/bin/python -m pip --quiet --disable-pip-version-check

peers: $(PEERS_STAMP)

$(PEERS_STAMP): bench/peers/requirements.lock
	@test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	@if $(PEERS_PIP) install pip==25.3 && $(PEERS_PIP) install -r bench/peers/requirements.lock \
		&& $(PEERS_VENV)/bin/python -c "import mediapipe"; then touch $@; \
	else echo "MediaPipe could not be installed in $(PEERS_VENV): make bench runs without it"; fi

# The int8 iris network (docs/iris-int8.md), built from the float file with Google's AI Edge
# Quantizer in an environment of its own, calibrated on the videos of $(DATA), into the model
# cache. Optional: when it cannot be built (no data, no quantizer) the float network stays in use.
QUANT_VENV := .venv-quant
QUANT_STAMP := $(QUANT_VENV)/.installed
QUANT_PIP := $(QUANT_VENV)/bin/python -m pip --quiet --disable-pip-version-check
IRIS_INT8_STAMP := $(VENV)/.iris-int8

iris-int8: $(IRIS_INT8_STAMP)

$(QUANT_STAMP): models/quantizer/requirements.lock
	test -x $(QUANT_VENV)/bin/python || $(PYTHON) -m venv $(QUANT_VENV)
	$(QUANT_PIP) install pip==25.3
	$(QUANT_PIP) install -r models/quantizer/requirements.lock
	touch $@

# Its calibration crops come from the tracker run over the videos: any change to the vision
# package can change them, and so the bytes.
$(IRIS_INT8_STAMP): $(QUANT_STAMP) $(MODELS_STAMP) models/manifest.json \
		$(wildcard srv/gazertc/vision/*.py)
	$(PY) -m gazertc.vision.iris_quantize --data $(DATA) --quantizer-python $(QUANT_VENV)/bin/python
	touch $@

# The int8 iris rows need `make iris-int8`; without it they say so, and the bench still runs.
bench: install peers
	@$(MAKE) --no-print-directory iris-int8 || echo "int8 iris network not built: make bench runs without it"
	GAZERTC_DATA=$(DATA) $(PY) -m bench

clean:
	rm -rf $(VENV) $(PEERS_VENV) $(QUANT_VENV) .mypy_cache .ruff_cache .pytest_cache
	rm -rf $(APP)/node_modules $(APP)/dist $(LIB)/node_modules $(LIB)/dist test-output dist
