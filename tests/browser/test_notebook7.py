"""The learner's in-order pass in Notebook 7 (`jupyter notebook`, the classic-style front end), in Debian's
Chromium (issue 10, item 4: output readable in JupyterLab, Notebook 7 and VS Code).

Nothing cheaper proves it: what is clipped, what is a link and what a widget shows are decided by the front
end's page (its CSS, its widget manager, its HTML sanitizer), and nbclient renders none of it. To stay cheap
the module makes one pass, 00 to 05 in order in one Notebook 7 server on the session's emulator (instant
operations), and checks everything along the way: no traceback, stderr or "Error displaying widget" in any
notebook; 00's form renders and a value typed into it is the one the next notebooks use; no output is
clipped in a window on half a laptop screen (long ids wrap); the progress lines of 01 and 03 end with their
hint and the time the step took; 05's store-admin address is a link that opens the store.
"""
from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from kit import wait_for

from . import selectors as css
from .conftest import is_loopback
from .jupyterlab import SLOW, Notebook7Page
from .test_journeys import KEYLESS_PASSED, NB, assert_clean

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A browser window on half a laptop screen: the width at which a learner's long ids (resource ids, client
# ids) no longer fit on one line of an output.
HALF_SCREEN = {"width": 760, "height": 1000}

# One output measured once the browser has laid it out (within a second of frames): what is clipped — the
# output area or a result table's cell, its content wider than what it shows, behind a scroll bar — and the
# table values that take more than one line (so there was something to wrap: the check is not vacuous).
# Notebook 7 skips laying out cells off screen (its default windowing mode, content-visibility): an element
# not laid out has no width to compare, so the output is scrolled into view first and measured when shown.
MEASURE = """(o, sel) => new Promise(done => {
    let frames = 0;
    const measure = () => {
        if (!o.checkVisibility({contentVisibilityAuto: true})) {
            return ++frames > 60 ? done({laidOut: false}) : requestAnimationFrame(measure);
        }
        done({laidOut: true,
              clipped: [o, ...o.querySelectorAll('td')].filter(e => e.scrollWidth > e.clientWidth + 1)
                                                       .map(e => e.innerText.slice(0, 120)),
              wrapped: [...o.querySelectorAll(sel)].filter(e => e.getClientRects().length > 1)
                                                   .map(e => e.innerText)});
    };
    measure();
})"""


def open_narrow(nb: Notebook7Page, number: str) -> None:
    nb.open(NB[number])
    nb.page.set_viewport_size(HALF_SCREEN)


def assert_nothing_clipped(nb: Notebook7Page) -> list[str]:
    """No output of the notebook in front is clipped; returns the table values that wrapped."""
    outputs = nb.page.locator(f"{css.PANEL} {css.OUTPUT}")
    wrapped = []
    for i in range(outputs.count()):
        output = outputs.nth(i)
        output.scroll_into_view_if_needed()
        seen = output.evaluate(MEASURE, css.RESULT_VALUE)
        assert seen["laidOut"], f"output {i} was never laid out: {output.text_content()[:200]}"
        assert seen["clipped"] == [], f"output {i} is clipped"
        wrapped += seen["wrapped"]
    return wrapped


def same_origin(url: str, other: str) -> bool:
    """`url` and `other` name the same host and port (a browser drops a default port from what it shows)."""
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(other)
    return (a.scheme, a.hostname, a.port or 80) == (b.scheme, b.hostname, b.port or 80)


def shown(nb: Notebook7Page, index: int | None = None) -> str:
    """The text of every output of the notebook in front, or of code cell `index`'s, laid out or not (what
    is off screen has no inner text in Notebook 7: see MEASURE)."""
    where = nb.cells().nth(index) if index is not None else nb.page.locator(css.PANEL)
    return "\n".join(where.locator(css.OUTPUT).all_text_contents())


def progress_line(nb: Notebook7Page, step: str) -> str:
    """The text of `step`'s progress line (the first output of the cell that ran it), laid out or not."""
    line = nb.page.locator(f"{css.PANEL} {css.PROGRESS}").filter(has_text=step)
    assert line.count() == 1, f"one progress line of {step}"
    return str(line.text_content())


@pytest.mark.timeout(900)
def test_in_order_pass_reads_well_in_notebook_7(notebook7: Notebook7Page, environment: Path, context):
    """00 to 05 in order in Notebook 7, each notebook's outputs checked as it opens and after it ran (see the
    module's docstring for what and why in one pass)."""
    nb = notebook7
    wrapped: list[str] = []

    # 00: the form renders as widgets; a changed value is applied and saved for the next notebooks
    open_narrow(nb, "00")
    wrapped += assert_nothing_clipped(nb)          # the recorded outputs, as the notebook opens
    nb.run_cells(0, 1, 2)
    wrapped += assert_nothing_clipped(nb)          # the form, live
    field = nb.page.locator(css.FORM_FIELD.format("Managed identity"))
    assert field.is_visible() and field.input_value() == "myIdentity"
    field.fill("learnerIdentity")
    nb.page.keyboard.press("Tab")
    nb.run_cells(3, 4, clear=False)
    assert_clean(nb)
    assert "identity = learnerIdentity (set in this notebook's form)" in shown(nb, 3)
    assert "learnerIdentity" in shown(nb, 2), "the applied form shows the value as plain HTML"
    wrapped += assert_nothing_clipped(nb)

    # 01 to 05: Run > Restart Kernel and Run All Cells, each
    for number in ("01", "02", "03", "04", "05"):
        open_narrow(nb, number)
        wrapped += assert_nothing_clipped(nb)      # the recorded outputs, as the notebook opens
        nb.restart_and_run_all()
        assert_clean(nb)
        wrapped += assert_nothing_clipped(nb)
        if number == "01":
            line = progress_line(nb, "enable-workload-identity")
            assert "this can take minutes on Azure" in line and re.search(r"took \d+s", line), line
        if number == "02":
            assert "identity = learnerIdentity (saved from a form)" in shown(nb, 1)
            assert "learnerIdentity" in shown(nb, 2)
        if number == "03":
            line = progress_line(nb, "create-federated-credential")
            assert "started in notebook 01" in line and re.search(r"took \d+s", line), line

    # 05: keyless proven, and the store-admin address a link that opens the store
    text = shown(nb)
    assert KEYLESS_PASSED in text and "verify: ok" in text
    address = re.search(r"on this machine: (http://[0-9.:]+)", text)
    assert address, text
    link = nb.page.locator(f"{css.PANEL} {css.OUTPUT} a[href='{address.group(1)}']").first
    assert link.text_content() == address.group(1) and link.get_attribute("target") == "_blank"
    with nb.page.context.expect_page(timeout=SLOW) as opened:
        link.click()
    store = opened.value
    try:
        assert same_origin(store.url, address.group(1))
        rows = store.locator(css.STORE_PRODUCT_ROWS)
        wait_for(lambda: rows.count() > 1, 60, "the store's product list")
    finally:
        store.close()

    assert wrapped, "some long value was long enough to wrap at half a screen's width"
    foreign = [url for url in context.requested if not is_loopback(url)]
    assert context.requested and foreign == []
