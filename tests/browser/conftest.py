"""The browser suite's fixtures: Debian's Chromium driven by Playwright (never a downloaded browser),
allowed to reach loopback only; one JupyterLab (or Notebook 7) per module on the session's emulator; a
screenshot of every open page and the end of the Jupyter server's log when a journey fails.

Chromium is found by one fixture: $KEYLESS_CHROMIUM, else `chromium` on PATH (`make test` installs it
with apt where it is missing: the Makefile's `chromium` target). Not found, the suite fails saying so; it
is never skipped.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from keyless_emulator import ControlClient, InProcessEmulator

from .jupyterlab import JupyterServer, LabPage, Notebook7Page, start_jupyter

CHROMIUM_ENV = "KEYLESS_CHROMIUM"
INSTALL_HINT = ("the browser suite needs Debian's Chromium and found none: run `make chromium` (it runs "
                "`apt-get install -y chromium`, with sudo when not root), or set KEYLESS_CHROMIUM to a Chromium binary")
# Every request that is not for loopback goes to a closed loopback port and fails: the pages under test
# must work in a room without network, and nothing may leave the machine.
LOOPBACK_ONLY = ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>;127.0.0.0/8;localhost;[::1]"]


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary: $KEYLESS_CHROMIUM, else `chromium` on PATH; fails (never skips) without one."""
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(INSTALL_HINT + (f" ({CHROMIUM_ENV}={path} is not an executable)" if path else ""), pytrace=False)
    return path


# Playwright's sync API runs its own event loop on the test thread while it is open: module-scoped, so
# the tests after a browser module (asyncio.run in the kubelet tests, in the same worker) find none.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium, args=LOOPBACK_ONLY)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context per module; `context.requested` lists every URL its pages asked for."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.requested = []  # type: ignore[attr-defined]
    ctx.on("request", lambda request: ctx.requested.append(request.url))  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def lab_server(node_emulator: InProcessEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab for the module, its kernels pointed at the session's emulator (with the kubelet, so the
    store runs) through the emulator's data folder, as `make lab` points them (KEYLESS_HOME)."""
    server = start_jupyter(tmp_path_factory.mktemp("lab"), Path(node_emulator.info.home), "lab")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def notebook7_server(node_emulator: InProcessEmulator,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """Notebook 7 (`jupyter notebook`) for the module, its kernels pointed at the session's emulator as
    `make notebook` points them."""
    server = start_jupyter(tmp_path_factory.mktemp("notebook7"), Path(node_emulator.info.home), "notebook")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab(context: BrowserContext, lab_server: JupyterServer) -> LabPage:
    """The module's JupyterLab page, loaded once (a load costs many seconds); journeys open notebooks in it."""
    page = LabPage(context.new_page(), lab_server)
    page.load()
    return page


@pytest.fixture(scope="module")
def notebook7(context: BrowserContext, notebook7_server: JupyterServer) -> Notebook7Page:
    """The module's Notebook 7 file list, loaded once; journeys open notebooks from it, each in its own tab."""
    page = Notebook7Page(context.new_page(), notebook7_server)
    page.load()
    return page


@pytest.fixture
def environment(node_emulator: InProcessEmulator) -> Path:
    """A fresh environment for one journey: the emulator back to before-you-begin with instant operations,
    and the data folder's state files and saved form values gone. Returns the data folder."""
    ControlClient.of(node_emulator.info).quiet()
    home = Path(node_emulator.info.home)
    shutil.rmtree(home / "state", ignore_errors=True)
    return home


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshots_on_failure(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """When a journey fails, every page open in the browser is saved as a PNG under the test's tmp dir,
    and the paths are printed (they show in the failure's captured output)."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "browser" not in request.fixturenames:
        return
    launched: Browser = request.getfixturevalue("browser")
    for i, page in enumerate(p for ctx in launched.contexts for p in ctx.pages):
        path, shown = tmp_path / f"screenshot-{i}.png", page.url.split("?")[0].split("#")[0]  # no token, no key
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as e:  # noqa: BLE001 - a page that crashed cannot be shown; say so and go on
            print(f"screenshot of {shown} failed: {e}")
            continue
        print(f"screenshot of {shown}: {path}")
    for name in ("lab_server", "notebook7_server", "vscode_server"):
        if name in request.fixturenames:
            print(f"the end of {name}'s log:\n" + request.getfixturevalue(name).log_tail())
