# keyless — the two commands people need are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# JupyterLab refuses to run as root (containers, Codespaces) unless told: tell it when we are root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help venv lint test test-fast run lab emulator-start emulator-stop notebooks record bench clean

help:
	@echo "make run    - set up, start the offline emulator and run the whole runbook against it"
	@echo "make test   - set up, check the layers, and run the whole test suite (unit, emulator, kubectl, notebooks)"
	@echo "make lint   - check the layers (import-linter), the code (ruff) and the runbook's types (mypy --strict)"
	@echo "make lab    - start the emulator and JupyterLab on notebooks/"
	@echo "make notebooks - write notebooks/*.ipynb from their text sources notebooks/*.md (keeps recorded outputs)"
	@echo "make record - write the notebooks from their text sources, then re-record their outputs"
	@echo "make bench  - run the benchmark scripts under benchmarks/ (JSON summary: out/bench/summary.json)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[notebooks,dev]'
	@touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check lib tests benchmarks notebooks
	$(VENV)/bin/mypy --strict lib/keyless lib/resource_names

test: venv lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

run: venv
	$(PY) -m keyless run --target emulator

lab: venv
	$(PY) -m keyless_emulator start
	$(PY) -m jupyter lab $(LAB_ARGS) notebooks/

emulator-start: venv
	$(PY) -m keyless_emulator start

emulator-stop: venv
	$(PY) -m keyless_emulator stop

notebooks: venv
	$(PY) -m keyless.authoring

record: notebooks
	$(PY) -m keyless record

# each benchmark writes its numbers (with its baseline's and the ratios) to out/bench/; summary.json holds all three
bench: venv
	@mkdir -p out/bench
	$(PY) benchmarks/emulator_bench.py --out out/bench/emulator.json
	$(PY) benchmarks/cluster_bench.py --out out/bench/cluster.json
	$(PY) benchmarks/runbook_bench.py --json out/bench/runbook.json
	$(PY) -c 'import json; print(json.dumps({n: json.load(open(f"out/bench/{n}.json")) for n in ("emulator", "cluster", "runbook")}, indent=2))' > out/bench/summary.json
	@echo "wrote out/bench/summary.json"

clean:
	rm -rf $(VENV) .keyless build lib/*.egg-info
