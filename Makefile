# Toolkeep developer commands (GNU make).
#
#   make serve      run Toolkeep on http://127.0.0.1:8000 (creates .venv on first use)
#   make test       install, lint, typecheck and run every test (SQLite and PostgreSQL)
#
# Other targets: install, node-deps, lint, fmt, typecheck, pytest, bench, clean.
# Variables: PYTHON (interpreter for the venv, default python3),
#            ARGS (extra arguments for `toolkeep serve` / pytest / bench).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

# Paths that ruff checks; bench/ may not exist yet.
LINT_PATHS := $(wildcard src tests bench)

NODE_DIR := tests/e2e/node
NODE_LOCK := $(wildcard $(NODE_DIR)/package-lock.json)
NODE_STAMP := $(NODE_DIR)/node_modules/.toolkeep-installed

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help serve install node-deps lint fmt typecheck pytest test bench clean

help:
	@echo "make serve      run Toolkeep on http://127.0.0.1:8000"
	@echo "make test       lint + typecheck + all tests (SQLite and PostgreSQL)"
	@echo "make install    create $(VENV) and install Toolkeep with dev extras"
	@echo "make node-deps  npm ci for the end-to-end client tests ($(NODE_DIR))"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make typecheck  mypy (strict)"
	@echo "make pytest     only the tests (ARGS='-k keys' to select)"
	@echo "make bench      run the benchmarks (python -m bench)"
	@echo "make clean      remove $(VENV), caches and build output (never .toolkeep/)"

# --- environment -----------------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Toolkeep needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 | head -n1)." >&2; \
	  echo "Run e.g. 'make PYTHON=python3.12 ...'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# lodash for tool code, from the npm registry at install time (never fetched at run time).
JS_DIR := src/toolkeep/sandbox/js
JS_STAMP := $(JS_DIR)/node_modules/.toolkeep-installed

$(JS_STAMP): $(JS_DIR)/package-lock.json $(JS_DIR)/package.json
	@command -v npm >/dev/null || { echo "npm is needed to install lodash for tool code" >&2; exit 1; }
	npm ci --prefix $(JS_DIR) --no-audit --no-fund
	@touch $@

install: $(STAMP) $(JS_STAMP)

ifneq ($(NODE_LOCK),)
node-deps: $(NODE_STAMP)

$(NODE_STAMP): $(NODE_LOCK) $(NODE_DIR)/package.json
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund
	@touch $@
else
node-deps:
	@echo "node-deps: no $(NODE_DIR)/package-lock.json, nothing to install"
endif

# --- run -------------------------------------------------------------------------------------

serve: install
	$(BIN)/toolkeep serve $(ARGS)

bench: install
	$(BIN)/python -m bench $(ARGS)

# --- quality ---------------------------------------------------------------------------------

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

fmt: install
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

typecheck: install
	$(BIN)/mypy

pytest: install node-deps
	$(BIN)/pytest $(ARGS)

# The steps run in this order, also under `make -j`.
test: install
	$(MAKE) --no-print-directory node-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest $(ARGS)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache $(NODE_DIR)/node_modules \
	  $(JS_DIR)/node_modules
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -prune \
	  -exec rm -rf {} +
