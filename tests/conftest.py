"""Test-wide guards (loopback only, no ambient Azure configuration), the kit's shared fixtures, and what
the suite needs to run in several processes (pytest-xdist, `make test`): a browser module's journeys
share a worker, and every worker's figures reach the end-of-session summary."""
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


# How the tests are shared among worker processes (`make test` passes `--dist loadscope`): each browser
# module is one unit (its JupyterLab and page are module-scoped, and its journeys build on each other in
# file order); every other test is a unit of its own, the largest units first. (xdist's `xdist_group`
# marks are not used: pytest 9 ignores the test-id suffix they rely on.) A session fixture is made once
# per worker that needs it — the one executed run (tests/runbook/conftest.py) at most once per worker.
SHARED_MODULES = ("tests/browser/",)


def _scope(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return module if module.startswith(SHARED_MODULES) else nodeid


@pytest.hookimpl(optionalhook=True)  # an xdist hook: the suite also runs without xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return SuiteScopes(config, log)  # type: ignore[arg-type]


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
