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

.PHONY: help venv lint test test-only run bench clean distclean

help:
	@echo "make venv    create .venv and install Legato with its dev tools"
	@echo "make run     serve Legato at http://127.0.0.1:4200 with the examples deployed (state in ./.legato)"
	@echo "make test    lint, then unit, integration (SQLite + PostgreSQL), e2e and architecture tests"
	@echo "make lint    ruff, mypy --strict and import-linter"
	@echo "make test-only   the tests without lint"
	@echo "make bench   per-task overhead benchmarks (BENCH_ARGS=--quick for a short run)"
	@echo "make clean   remove caches and ./.legato; 'make distclean' also removes .venv"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: venv
	$(BIN)/ruff check src tests examples
	$(BIN)/mypy
	$(BIN)/lint-imports

test: venv lint test-only

test-only: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests

run: export LEGATO_HOME := $(or $(LEGATO_HOME),$(CURDIR)/.legato)
run: venv
	BIN=$(BIN) scripts/run.sh

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf .legato .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
