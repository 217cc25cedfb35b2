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

# Flows run by `make run`: FILE:FLOW followed by its -p parameters.
EXAMPLES := \
	"examples/hello.py:hello -p name=Legato" \
	"examples/etl.py:etl -p n=20" \
	"examples/retries.py:retries -p workdir=$(CURDIR)/.legato/examples/retries"

.PHONY: help venv lint test test-only run bench clean distclean

help:
	@echo "make venv    create .venv and install Legato with its dev tools"
	@echo "make run     run every example flow (state in ./.legato)"
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
	@mkdir -p "$$LEGATO_HOME"
	$(BIN)/legato db upgrade
	@for example in $(EXAMPLES); do \
		echo "== legato run $$example"; \
		$(BIN)/legato run $$example; \
	done
	@echo "== legato run examples/resume.py:resume (fails on purpose), then legato runs retry"
	@rm -rf "$$LEGATO_HOME/examples/resume"
	@id=$$($(BIN)/legato run examples/resume.py:resume -p workdir="$$LEGATO_HOME/examples/resume" \
		--json | $(BIN)/python -c 'import json, sys; print(json.load(sys.stdin)["flow_run_id"])') \
		|| true; \
	$(BIN)/legato runs retry "$$id"
	$(BIN)/legato runs ls --limit 10

bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf .legato .pytest_cache .mypy_cache .ruff_cache .import_linter_cache build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
