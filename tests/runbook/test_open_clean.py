"""Notebooks open clean: a committed notebook run in a front end and saved keeps its metadata as committed,
and every widget output it leaves reads without the widget's model, in HTML and in plain text (issue 10, items 4 and 5).

The front end is played by nbclient with what a Jupyter Server leaves in a kernel (`JPY_SESSION_NAME`),
so keyless shows its widgets (the form, the progress lines) as in JupyterLab, and with JupyterLab's
defaults for saving: no cell timing, no widget state in the file. The saved copy goes to tmp_path: the
committed notebook is never written here (`make record` is its only writer)."""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from keyless.recording import WIDGET_VIEW

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
FALLBACKS = ("text/plain", "text/html")


def run_in_a_front_end(path: Path, home: Path, tmp_path: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(committed, saved): `path` executed as JupyterLab's kernel runs it and saved with nbformat to tmp_path."""
    committed_text = path.read_text()
    committed = nbformat.reads(committed_text, as_version=4)
    nb = copy.deepcopy(committed)
    saved = tmp_path / path.name
    # Over IPC sockets, as `make lab` and the runner run kernels: a loopback TCP port picked for the kernel can
    # be taken by another connection of the suite before the kernel binds it (the kernel then dies at start).
    sockets = Path(tempfile.mkdtemp(prefix="kl-nb-"))   # short: a socket path has at most ~107 bytes
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "kernel"))
    client = NotebookClient(nb, km=manager, timeout=300, record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env={**os.environ, "KEYLESS_HOME": str(home), "JPY_SESSION_NAME": str(saved)})
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    nbformat.write(nb, saved)
    assert path.read_text() == committed_text, "running a notebook never writes the committed file"
    return committed, nbformat.read(saved, as_version=4)


@pytest.mark.slow
def test_committed_notebooks_run_in_a_front_end_and_saved_keep_clean_metadata_and_readable_widgets(fresh, tmp_path):
    """Executes notebooks 00 (the form) and 01 (a cluster update's progress line) once each in a kernel: what a
    front end saves is made by a kernel running the cells, and nothing cheaper produces it. They reuse the
    session's emulator (its runtime file copied into a data folder of this test's own): none is started."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(Path(fresh.info.home) / "emulator.json", home / "emulator.json")
    outputs = []
    for stem in ("00-before-you-begin", "01-enable-workload-identity"):
        committed, again = run_in_a_front_end(NOTEBOOKS / f"{stem}.ipynb", home, tmp_path)
        assert (again.nbformat, again.nbformat_minor) == (committed.nbformat, committed.nbformat_minor)
        assert set(again.metadata) == set(committed.metadata) == {"kernelspec", "language_info"}, \
            f"{stem}: no widget state, papermill or timing metadata"
        assert again.metadata.kernelspec == committed.metadata.kernelspec
        assert again.metadata.language_info["name"] == committed.metadata.language_info["name"] == "python"
        assert [(c.id, c.cell_type, c.source, c.metadata) for c in again.cells] == \
            [(c.id, c.cell_type, c.source, c.metadata) for c in committed.cells], f"{stem}: cells as committed"
        outputs += [(c.id, o) for c in again.cells if c.cell_type == "code" for o in c.outputs]

    assert not [o for _, o in outputs if o.output_type == "error"], "the runs passed"
    assert not [o for _, o in outputs if o.output_type == "stream" and o.name == "stderr"], "no warnings"
    for cell_id, o in outputs:  # a widget view that remains reads without its model
        data = o.get("data", {})
        if WIDGET_VIEW in data:
            assert any(data.get(kind) for kind in FALLBACKS), f"{cell_id}: a widget output without a text fallback"
    shown = [o.get("data", {}) for _, o in outputs]
    assert any((d.get("text/html") or "").startswith("<p>Values applied (run the form's cell again to change them):")
               and WIDGET_VIEW not in d for d in shown), "the applied form is plain HTML"
    assert not [d for d in shown if WIDGET_VIEW in d and "keyless-progress" in str(d)], \
        "every progress line ended as plain HTML"
    progress = [d["text/html"] for d in shown if "keyless-progress" in (d.get("text/html") or "")]
    assert any("<b>enable-workload-identity</b>" in p and "this can take minutes on Azure" in p
               and "updated, took " in p for p in progress), progress
    # and their text fallbacks say the same in words (a front end that shows no HTML nor widgets)
    plain = [d.get("text/plain", "") for d in shown]
    assert any(p.startswith("Values applied (run the form's cell again to change them):\ntarget: emulator")
               and "identity:" in p for p in plain), plain
    assert any(p.startswith("enable-workload-identity\n") and "this can take minutes on Azure" in p
               and "updated, took " in p for p in plain), plain
    assert not [p for p in plain if p.startswith(("VBox(", "HTML(", "<IPython.core.display"))], plain
