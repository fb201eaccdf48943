"""The runbook's recorded outputs as a VS Code user sees them: the committed notebook 05 opened in VS Code's
notebook editor (code-server, tests/code_server.py; no kernel: the Jupyter extension comes from a marketplace
this suite cannot reach, so what is checked is what VS Code shows of a notebook's saved outputs, as after a
pipeline's run). Opened the way a person does (Quick Open), its verification reads in full: every check with
its mark, the store-admin address a link, the equivalent commands in monospace with the kubeconfig to use,
long ids wrapped inside the output, no output VS Code cannot render, no traceback, no `None`."""
from __future__ import annotations

import re
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit import wait_for
from playwright.sync_api import BrowserContext, Frame, Page

from . import selectors as css
from .conftest import is_loopback
from .vscode import CodeServer, start_code_server

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
BOOK = "05-test-the-application.ipynb"
KEYLESS_CHECK = "keyless: Azure OpenAI was called with the workload identity's Entra token, no key"
NO_RENDERER = "No renderer could be found"
# (the first use on a machine builds code-server: about a minute, more with a cold npm cache)
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def vscode_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodeServer]:
    server = start_code_server(tmp_path_factory.mktemp("code-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebook, with the repository's workspace settings for VS Code (.vscode/settings.json), as a person who
    opens the repository's folder has them."""
    folder = tmp_path_factory.mktemp("workspace")
    shutil.copy(NOTEBOOKS / BOOK, folder / BOOK)
    shutil.copytree(NOTEBOOKS.parent / ".vscode", folder / ".vscode")
    return folder


@pytest.fixture(scope="module")
def opened(context: BrowserContext, vscode_server: CodeServer, workspace: Path) -> tuple[Page, Frame, str]:
    """The workspace in VS Code, notebook 05 opened with Quick Open (Ctrl+P) and scrolled, as a person does,
    until its first verification is on screen: the page, the frame outputs render in, and the text it shows
    (VS Code hides the outputs of cells out of view, so only what is on screen reads)."""
    page = context.new_page()
    page.goto(f"{vscode_server.url}/?folder={workspace}")
    page.locator(css.VSCODE_WORKBENCH).wait_for(timeout=60_000)
    page.keyboard.press("Control+P")
    page.locator(css.VSCODE_QUICK_OPEN).wait_for(timeout=30_000)
    page.keyboard.type(BOOK)
    page.locator(css.VSCODE_QUICK_OPEN_ROW).first.wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    editor = page.locator(css.VSCODE_NOTEBOOK).first
    editor.wait_for(timeout=60_000)
    frame = wait_for(lambda: next((f for f in page.frames if f.locator(f"text={KEYLESS_CHECK}").count()), None),
                     60, "notebook 05's outputs rendered in VS Code's output frame")
    box = editor.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    turned = [0.0]

    def on_screen() -> str | None:
        text = str(frame.evaluate("document.body.innerText"))
        if KEYLESS_CHECK in text and "export KUBECONFIG=" in text:
            return text
        if time.monotonic() - turned[0] >= 0.5:  # one turn of the wheel, then time to lay out what came into view
            page.mouse.wheel(0, 300)
            turned[0] = time.monotonic()
        return None

    return page, frame, wait_for(on_screen, 60, "the first verification's output on screen")


def test_vscode_shows_every_check_of_the_verification_with_its_mark(opened):
    _, _, text = opened
    checks = re.findall(r"✅ ([^\n]+)", text)
    assert any(c.startswith(KEYLESS_CHECK) for c in checks), text[:3000]
    assert any(c.startswith("product description generated through ai-service") for c in checks)
    assert "Traceback" not in text
    assert re.search(r"\bNone\b", text) is None


def test_vscode_shows_the_store_admin_address_as_a_link(opened):
    _, frame, _ = opened
    links = frame.locator(css.VSCODE_LINK)
    assert links.count() >= 1
    assert links.first.get_attribute("target") == "_blank"


def test_vscode_shows_the_equivalent_commands_in_monospace_with_the_kubeconfig(opened):
    _, frame, _ = opened
    block = frame.locator(css.VSCODE_PRE, has_text="kubectl get pods -n default -l app=ai-service").first
    assert "export KUBECONFIG=" in block.inner_text()
    assert "monospace" in block.evaluate("e => getComputedStyle(e).fontFamily")


def test_vscode_wraps_long_ids_inside_the_output(opened):
    """The values a learner notes (pod name, client ids, the description) wrap instead of running off the side."""
    _, frame, _ = opened
    cells = frame.locator(css.VSCODE_VALUE)
    assert cells.count() >= 3
    wider = cells.evaluate_all("cs => cs.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)")
    assert wider == []


# The right edge of the widest element showing `needle` in the output frame, and the frame's width (outputs render
# in shadow roots).
RIGHT_EDGE = """needle => { let right = 0; const walk = root => { for (const e of root.querySelectorAll('*')) {
  if (e.shadowRoot) walk(e.shadowRoot);
  if (e.childElementCount === 0 && (e.textContent || '').includes(needle))
    right = Math.max(right, e.getBoundingClientRect().right); } };
  walk(document); return [right, document.documentElement.clientWidth]; }"""


@pytest.mark.parametrize("needle", ["Runbook(target=emulator", "asking ai-service for a product description"])
def test_vscode_wraps_the_text_outputs_with_the_repositorys_settings(opened, needle):
    """Plain text and printed lines (the runbook's summary with its subscription and state file, a step's
    progress) wrap inside the output: .vscode/settings.json turns VS Code's `notebook.output.wordWrap` on (off
    by default: the lines ran past the right edge, seen)."""
    _, frame, _ = opened
    right, width = frame.evaluate(RIGHT_EDGE, needle)
    assert 0 < right <= width


def test_vscode_renders_every_output_and_asks_nothing_of_the_network(opened, context):
    """Every output has a renderer, and every address the page asked for is loopback or the webview's own
    resource host (vscode-cdn.net, answered inside the page by its service worker)."""
    page, _, _ = opened
    assert all(f.locator(f"text={NO_RENDERER}").count() == 0 for f in page.frames)
    hosts = {urllib.parse.urlsplit(u).hostname for u in context.requested if not is_loopback(u)}
    assert {h for h in hosts if h and not h.endswith(".vscode-cdn.net")} == set()
