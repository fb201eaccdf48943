# keyless — the two commands people need are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# JupyterLab and Notebook 7 refuse to run as root (containers, Codespaces) unless told: tell them when we are root.
# Their kernels talk over IPC sockets, as the runner's do: no loopback port for anyone else on a shared machine.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
# The browser speaks the kernel websocket's JSON ("legacy") protocol: with the binary v1 protocol, a frame the page
# sends on the old socket while JupyterLab reconnects a kernel (a restart, a new kernel's first second) reaches a
# handler whose connection is already cleared; jupyter_server 2.21 then reads it as the other format, fails
# (struct.error in its log) and closes that socket. With the JSON protocol such a frame is read as what it is.
# (A restart clicked during that reconnection can still lose the cells run right after it: wait for Idle.)
KERNEL_WS = --ZMQChannelsWebsocketConnection.kernel_ws_protocol=

# `make wheelhouse` fills this folder (online, once); while it holds wheels, set-up installs from it alone.
WHEELHOUSE ?= wheelhouse
PIP_SOURCE = $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE),)
SUPPORTED_PYTHONS := 3.11 3.12 3.13

.PHONY: help venv chromium build-headers lint test torture torture-bench test-fast run lab notebook emulator-start emulator-stop notebooks record bench handout \
	wheelhouse check-python clean

help:
	@echo "make run    - set up, start the offline emulator and run the whole runbook against it"
	@echo "make test   - set up, check the layers, and run the whole test suite (unit, emulator, kubectl, notebooks)"
	@echo "make chromium - install Debian's Chromium with apt where it is missing (the browser suite drives it)"
	@echo "make build-headers - install Debian's libkrb5-dev with apt where it is missing (code-server's native modules)"
	@echo "make lint   - check the layers (import-linter), the code (ruff) and the runbook's types (mypy --strict)"
	@echo "make lab    - start the emulator and JupyterLab on notebooks/"
	@echo "make notebook - start the emulator and Notebook 7 (the classic-style front end) on notebooks/"
	@echo "make notebooks - write notebooks/*.ipynb from their text sources notebooks/*.md (keeps recorded outputs)"
	@echo "make record - write the notebooks from their text sources, then re-record their outputs"
	@echo "make bench  - run the benchmark scripts under benchmarks/ (JSON summary: out/bench/summary.json)"
	@echo "make torture-bench - 50 fault runs and 200 interruptions, held/total per kind (out/bench/torture.json; about an hour)"
	@echo "make handout - write the runbook as an offline HTML bundle into out/handout"
	@echo "make wheelhouse - download every pinned package into wheelhouse/ (later set-ups install offline from it)"

# A clear refusal for a Python the project does not support, before anything is made.
CHECK_PYTHON = v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	case " $(SUPPORTED_PYTHONS) " in *" $$v "*) ;; *) \
	  echo "error: keyless needs Python 3.11, 3.12 or 3.13; '$(PYTHON)' is $${v:-not found}." >&2; \
	  echo "install one of them and run e.g. 'make PYTHON=python3.12 run' (no 'make clean' needed)" >&2; exit 2;; esac

check-python:
	@$(CHECK_PYTHON)

# A .venv made by an unsupported or vanished Python is replaced, and an interrupted install is
# resumed (the stamp is written last), so a broken set-up recovers without `make clean`.
$(STAMP): pyproject.toml
	@if { [ -e $(PY) ] || [ -L $(PY) ]; } && ! $(PY) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; \
	  then echo "replacing $(VENV): its Python is missing or unsupported"; rm -rf $(VENV); fi
	@test -x $(PY) || { $(CHECK_PYTHON); $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet $(PIP_SOURCE) --upgrade pip
	$(PY) -m pip install --quiet $(PIP_SOURCE) -e '.[notebooks,dev]'
	@touch $(STAMP)

# The project's own modules compiled to bytecode now (only what changed since): where PYTHONDONTWRITEBYTECODE is set,
# as in many container images, every process would otherwise compile what it imports again — the emulator alone
# starts in about 0.7 s with bytecode and 1.2 s without, and a run or the test suite starts many processes.
venv: $(STAMP)
	@$(PY) -m compileall -q -j 0 lib

lint: venv
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check lib tests benchmarks notebooks
	$(VENV)/bin/mypy --strict lib/keyless lib/resource_names lib/store_manifests

# The browser suite (tests/browser) drives Debian's Chromium through Playwright: installed here with apt where
# it is missing (sudo when not root; the package lists refreshed only if the install fails without it). No
# browser is ever downloaded by Playwright. KEYLESS_CHROMIUM names another binary and skips this.
chromium:
	@if [ -z "$$KEYLESS_CHROMIUM" ] && ! command -v chromium >/dev/null; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's Chromium for the browser suite (apt-get install -y chromium)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || \
	    { $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; \
	fi

# The VS Code check (tests/browser/test_vscode.py) builds code-server's native modules once (tests/code_server.py):
# one of them compiles against the Kerberos headers of Debian's libkrb5-dev, installed here with apt where missing
# (sudo when not root; the package lists refreshed only if the install fails without it).
build-headers:
	@if [ ! -e /usr/include/gssapi/gssapi.h ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing the Kerberos headers code-server's native modules build against (apt-get install -y libkrb5-dev)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y libkrb5-dev || \
	    { $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y libkrb5-dev; }; \
	fi

# The suite runs in TEST_WORKERS processes (pytest-xdist; one per logical core by default, `TEST_WORKERS=0` for one
# process); tests/conftest.py says which tests share a worker (--dist loadscope, largest units first).
TEST_WORKERS ?= logical
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadscope)

test: venv lint chromium build-headers
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

torture: venv
	$(PY) -m pytest $(XDIST) tests/runbook/test_torture.py tests/runbook/test_interruptions.py tests/runbook/test_bad_input.py $(PYTEST_ARGS)

# the torture suite at the issue's counts (docs/reliability.md); TORTURE_ARGS e.g. "--runs 10 --kills 20"
torture-bench: venv
	@mkdir -p out/bench
	$(PY) benchmarks/torture_bench.py --json out/bench/torture.json $(TORTURE_ARGS)

test-fast: venv
	$(PY) -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

run: venv
	$(PY) -m keyless run --target emulator

lab: venv
	$(PY) -m keyless_emulator start
	$(PY) -m jupyter lab --KernelManager.transport=ipc $(KERNEL_WS) $(LAB_ARGS) notebooks/

notebook: venv
	$(PY) -m keyless_emulator start
	$(PY) -m jupyter notebook --KernelManager.transport=ipc $(KERNEL_WS) $(LAB_ARGS) notebooks/

emulator-start: venv
	$(PY) -m keyless_emulator start

emulator-stop: venv
	$(PY) -m keyless_emulator stop

notebooks: venv
	$(PY) -m keyless.authoring

record: notebooks
	$(PY) -m keyless record

# each benchmark writes its numbers (with its baseline's and the ratios) to out/bench/; summary.json holds them all.
# The capacity benchmark drives BENCH_ATTENDEES attendees' runbooks, BENCH_PARALLEL at once (30 and 6: a long run).
BENCH_ATTENDEES ?= 30
BENCH_PARALLEL ?= 6
bench: venv
	@mkdir -p out/bench
	$(PY) benchmarks/emulator_bench.py --out out/bench/emulator.json
	$(PY) benchmarks/cluster_bench.py --out out/bench/cluster.json
	$(PY) benchmarks/reset_bench.py --out out/bench/reset.json
	$(PY) benchmarks/runbook_bench.py --json out/bench/runbook.json
	$(PY) benchmarks/capacity_bench.py -n $(BENCH_ATTENDEES) -j $(BENCH_PARALLEL) --out out/bench/capacity.json
	$(PY) -c 'import json; print(json.dumps({n: json.load(open(f"out/bench/{n}.json")) for n in ("emulator", "cluster", "reset", "runbook", "capacity")}, indent=2))' > out/bench/summary.json
	@echo "wrote out/bench/summary.json"

handout: venv
	$(PY) -m keyless handout --out out/handout

# Online, once (e.g. before a workshop): every pinned package as a wheel, plus what builds this project.
wheelhouse: venv
	$(PY) -m pip download --quiet --dest $(WHEELHOUSE) pip 'setuptools>=77' wheel
	$(PY) -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) '.[notebooks,dev]'
	@echo "$(WHEELHOUSE)/ holds $$(ls $(WHEELHOUSE) | wc -l) packages; 'make run' now installs from it with no network"

clean:
	rm -rf $(VENV) .keyless build lib/*.egg-info
