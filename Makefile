# Developer entry points. Everything runs from the project's own .venv, created on demand.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The stamp's name carries a checksum of pyproject.toml, so changing dependencies reinstalls
# and an unchanged checkout does nothing.
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

# The web UI (ui/): `npm ci` again only when the lock changes, a Vite build into the package
# only when a source changes (the built index.html is the build's stamp).
UI_DEPS := ui/node_modules/.ci-stamp
UI_BUILT := src/legato/server/static/index.html
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
	ui/vite.config.ts ui/tsconfig.json
CHROMIUM := /usr/bin/chromium

.PHONY: help venv ui ui-test chromium lint test test-only run bench clean distclean

help:
	@echo "make venv    create .venv and install Legato with its dev tools"
	@echo "make run     serve Legato at http://127.0.0.1:4200 with the examples deployed (state in ./.legato)"
	@echo "make test    lint, then unit, integration (SQLite + PostgreSQL), e2e and architecture tests"
	@echo "make lint    ruff, mypy --strict and import-linter"
	@echo "make test-only   the tests without lint"
	@echo "make ui      build the web UI into src/legato/server/static (npm ci + vite build)"
	@echo "make bench   per-task overhead and dispatch benchmarks (BENCH_ARGS=--quick for a short run)"
	@echo "make clean   remove caches and ./.legato; 'make distclean' also removes .venv"

venv: $(STAMP) ui

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

ui: $(UI_BUILT)

$(UI_DEPS): ui/package-lock.json
	@command -v npm >/dev/null || { echo "make ui needs Node.js 20+ and npm on PATH" >&2; exit 1; }
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UI_BUILT): $(UI_DEPS) $(UI_SOURCES)
	cd ui && npm run --silent build -- --logLevel warn

ui-test: $(UI_DEPS)
	cd ui && npm test --silent

# The browser tests drive the distribution's Chromium (never a downloaded browser build).
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: venv
	$(BIN)/ruff check src tests examples
	$(BIN)/mypy
	$(BIN)/lint-imports

test: venv lint test-only

test-only: venv chromium ui-test
	$(BIN)/python -m pytest -p no:cacheprovider tests

run: export LEGATO_HOME := $(or $(LEGATO_HOME),$(CURDIR)/.legato)
run: venv
	BIN=$(BIN) scripts/run.sh

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf src/legato/server/static
	rm -rf .legato .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) ui/node_modules
