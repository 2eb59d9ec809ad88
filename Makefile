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

.PHONY: all install run test lint typecheck pytest bench clean

all: install

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

run: install
	$(VENV)/bin/gazertc serve --port $(PORT)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check srv tests bench
	$(VENV)/bin/ruff format --check srv tests bench

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

pytest: install
	GAZERTC_DATA=$(DATA) $(PY) -m pytest

test: lint typecheck pytest

bench: install
	GAZERTC_DATA=$(DATA) $(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
