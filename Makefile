# taxiway: `make demo` runs the pipeline on the local default; `make test` runs every test.
# Everything installs itself: uv into .tools/ when it is not on PATH, then `uv sync`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PYTHON ?= python3
SYNC := $(UV) sync --all-extras --frozen
# both cores (pytest-xdist); a module's tests stay on one worker, sharing its fixtures
PYTEST := $(UV) run pytest -q -n $(or $(JOBS),2) --dist loadfile

.PHONY: help uv sync demo dashboard airflow test unit integration bench lint fmt clean

help:
	@echo "make demo   - generate a day of events, curate, catalog and report it locally"
	@echo "make airflow - Airflow's UI on dags/ with the local data (Ctrl-C stops it)"
	@echo "make dashboard - rebuild data/dashboard.html from the warehouse"
	@echo "make test   - lint + every test (unit and integration)"
	@echo "make bench  - benchmarks under benchmarks/ (prints JSON figures)"
	@echo "make lint   - ruff + mypy"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv

uv: $(UV)

sync: uv
	$(SYNC)
	@# bubblewrap: the sandbox `taxiway local` runs startup scripts in (Linux only; tests need it)
	@if [ "$$(uname -s)" = Linux ] && ! command -v bwrap >/dev/null; then \
	  echo "Installing bubblewrap (the sandbox of taxiway local)"; \
	  { apt-get install -y -qq bubblewrap || sudo -n apt-get install -y -qq bubblewrap || \
	    { apt-get update -qq && apt-get install -y -qq bubblewrap; }; } >/dev/null 2>&1 || \
	  { echo "error: could not install bubblewrap; run \`sudo apt-get install -y bubblewrap\` (Fedora, Amazon Linux: \`sudo dnf install -y bubblewrap\`) and make again" >&2; exit 1; }; \
	fi

demo: sync
	$(UV) run taxiway demo

# a real Airflow (standalone) on dags/; backfills the generated hours; PORT=8080 by default
airflow: sync
	$(UV) run taxiway airflow --port $(or $(PORT),8080)

dashboard: sync
	$(UV) run taxiway dashboard

lint: sync
	$(UV) run ruff check src tests benchmarks dags
	$(UV) run ruff format --check src tests benchmarks dags
	$(UV) run mypy
	$(UV) run lint-imports

fmt: sync
	$(UV) run ruff check --fix src tests benchmarks dags
	$(UV) run ruff format src tests benchmarks dags
	command -v terraform >/dev/null && terraform fmt -recursive infra/terraform || true

test: lint
	$(PYTEST) tests

unit: sync
	$(PYTEST) tests/unit

integration: sync
	$(PYTEST) tests/integration

# every benchmark runs; the target fails at the end if any missed its DESIGN.md target
bench: sync
	@rc=0; for b in benchmarks/*.py; do echo "== $$b"; $(UV) run python $$b || rc=1; done; exit $$rc

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache
