"""Test-wide guards (loopback only, no ambient Azure configuration), the kit's shared fixtures, and what
the suite needs to run in several processes (pytest-xdist, `make test`): the tests that read the one
executed run share a worker, and every worker's figures reach the end-of-session summary."""
from __future__ import annotations

import os

import pytest
from figures import FIGURES, WORKER_KEY

# The shared emulator fixtures (emulator, node_emulator, control, fresh): tests/kit/fixtures.py.
pytest_plugins = ("kit.fixtures",)

# Nothing in the suite may use ambient Azure settings or fall back to a cloud endpoint.
for _name in list(os.environ):
    if _name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_")) or _name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        del os.environ[_name]
os.environ["AZURE_TOKEN_CREDENTIALS"] = "prod"  # keeps DefaultAzureCredential away from developer tools
# ...and its managed identity leg away from the link-local IMDS address: a closed loopback port.
os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:9"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


def pytest_configure(config: pytest.Config) -> None:
    # pytest-socket: every test may connect to loopback only (all of 127.0.0.0/8: load balancers
    # get their own loopback address).
    config.option.allow_hosts = "127.0.0.0/8,::1,localhost"


# What is made once per worker process is asked for by tests on one worker (xdist's --dist loadgroup):
# the session's one `python -m keyless run` (tests/runbook/conftest.py: executed_run), and each browser
# module's JupyterLab and page (tests/browser: module-scoped).
SHARED_RUN_GROUP = "executed-run"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "executed_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(SHARED_RUN_GROUP))
        elif item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group(f"browser:{item.nodeid.split('::')[0]}"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the figures to the controller
        workeroutput[WORKER_KEY] = list(FIGURES)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: the suite also runs without xdist (-p no:xdist)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist's controller, as each worker finishes: keep the worker's figures for the summary."""
    FIGURES.extend(getattr(node, "workeroutput", {}).get(WORKER_KEY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("torture suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
