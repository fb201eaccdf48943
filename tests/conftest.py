"""Test-wide guards (loopback only, no ambient Azure configuration), the kit's shared fixtures, and what
the suite needs to run in several processes (pytest-xdist, `make test`): which tests share a worker and
what starts first, and every worker's figures reach the end-of-session summary."""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

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


# How the tests are shared among worker processes (`make test` passes `--dist loadscope`). A unit runs whole
# on one worker, its tests in file order:
# - each browser module (its JupyterLab and page are module-scoped, and its journeys build on each other);
# - each other module that defines a module-scoped fixture (an emulator, the Azure CLI's session): made once,
#   not once per worker;
# - the tests that read the session's one executed run (`executed_run`, tests/runbook/conftest.py): one whole
#   run of every notebook for the suite, not one per worker;
# - every other test on its own.
# Units start longest first, so the suite does not end on one long test running alone: the browser modules,
# then the units with a test marked `slow`, then the rest (each group in file order). (xdist's `xdist_group`
# marks are not used: pytest 9 ignores the test-id suffix they rely on.) A session fixture is made once per
# worker that needs it.
SHARED_MODULES = ("tests/browser/",)
EXECUTED_RUN_UNIT = "the executed run"
READS_EXECUTED_RUN = (
    "tests/runbook/test_cli.py::test_run_on_the_emulator_writes_notebooks_html_and_report_without_secrets",
    "tests/runbook/test_recorded.py::test_re_recording_changes_no_committed_notebook_beyond_sanitized_fields",
)
_MODULE_FIXTURE = re.compile(r"""@pytest\.fixture\([^)]*scope=["']module["']""")
_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _has_module_fixture(module: str) -> bool:
    path = _ROOT / module
    return path.is_file() and bool(_MODULE_FIXTURE.search(path.read_text()))


def _scope(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    if module.startswith(SHARED_MODULES) or _has_module_fixture(module):
        return module
    if nodeid in READS_EXECUTED_RUN:
        return EXECUTED_RUN_UNIT
    return nodeid


def _rank(item: pytest.Item) -> int:
    """0 for a browser journey, 1 for a test marked slow, 2 for the rest: what starts first."""
    if item.nodeid.startswith(SHARED_MODULES):
        return 0
    return 1 if item.get_closest_marker("slow") else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that reads `executed_run` is in its unit; on a worker, the units are put longest first (every
    worker collects the same order, and the scheduler keeps it). One process keeps file order."""
    strays = [i.nodeid for i in items if "executed_run" in getattr(i, "fixturenames", ())
              and i.nodeid not in READS_EXECUTED_RUN]
    if strays:
        raise pytest.UsageError(f"add {', '.join(strays)} to READS_EXECUTED_RUN in tests/conftest.py: a test that "
                                "reads the executed run shares a worker with the others that read it")
    if not hasattr(config, "workerinput"):
        return
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(_scope(item.nodeid), []).append(item)
    ordered = sorted(units.values(), key=lambda unit: min(map(_rank, unit)))  # stable: file order within a rank
    items[:] = [item for unit in ordered for item in unit]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: the suite also runs without xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SuiteScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    config.option.loadscopereorder = False  # the workers' collection order is the one to keep (above)
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
