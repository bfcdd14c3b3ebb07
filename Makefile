# Dockyard: `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONNECTORS := $(notdir $(wildcard connectors/*))
PACKAGES := dockyard_runtime dockyard_tools $(subst -,_,$(CONNECTORS))
CONNECTOR ?=

.DEFAULT_GOAL := help
.PHONY: help demo test lint typecheck unit build bench services generate clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): constraints.txt runtime/pyproject.toml tools/pyproject.toml $(wildcard connectors/*/pyproject.toml)
	@tools/scripts/setup-venv.sh

venv: $(STAMP)

demo: $(STAMP) ## The main job: sync source-faker into a local DuckDB file and show what landed
	$(BIN)/dockyard demo

services: ## Install/start what tests need (Docker engine, PostgreSQL binaries) when missing
	@tools/scripts/ensure-services.sh

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy (strict) on the runtime, the toolkit and every connector
	$(BIN)/mypy $(addprefix -p ,$(PACKAGES))

test: $(STAMP) services lint typecheck ## Set up, lint, type-check and run every test (CONNECTOR=name for one)
	DOCKYARD_CONNECTOR=$(CONNECTOR) $(BIN)/pytest $(if $(CONNECTOR),connectors/$(CONNECTOR) tests/acceptance tests/peer,)

build: $(STAMP) services ## Build Docker images for every connector (CONNECTOR=name for one)
	$(BIN)/dockyard build $(CONNECTOR)

bench: $(STAMP) services ## Benchmarks (records/s, rows/s, peak RSS) against peer implementations
	$(BIN)/dockyard bench $(CONNECTOR)

generate: $(STAMP) ## Scaffold a new connector from a template (interactive)
	connector-templates/generator/generate.sh

clean: ## Remove the virtualenv and build outputs
	rm -rf $(VENV) .build .mypy_cache .ruff_cache .pytest_cache
