"""`python -m keyless handout`: one offline HTML bundle, with real titles, the prose and every step's result,
no parameters cell, no absolute path, and no URL of any host but this machine's."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from keyless.handout import ABSOLUTE_PATH, write_handout

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
URL = re.compile(r"""\b(?:https?|wss?|ftp)://([^/\s"'<>:)]+)""", re.IGNORECASE)
LOCAL_HOSTS = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$")


def heading(stem: str) -> str:
    first = next(line for line in (NOTEBOOKS / f"{stem}.md").read_text().splitlines() if line.startswith("# "))
    return first[2:].strip()


def bundle_text(out: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(out.iterdir()))


def assert_offline_and_relative(out: Path, *roots: Path) -> None:
    text = bundle_text(out)
    hosts = {m.group(1) for m in URL.finditer(text)}
    assert {h for h in hosts if not LOCAL_HOSTS.match(h)} == set()
    assert ABSOLUTE_PATH.search(text) is None
    for root in roots:
        assert str(root) not in text
    assert "<script" not in text.lower() and "@import" not in text


@pytest.fixture
def handout(tmp_path: Path) -> Path:
    out = tmp_path / "handout"
    write_handout(out, NOTEBOOKS)
    return out


def test_one_page_per_notebook_with_its_real_title_and_an_index(handout):
    stems = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    assert sorted(p.name for p in handout.iterdir()) == sorted([f"{s}.html" for s in stems]
                                                               + ["index.html", "style.css"])
    index = (handout / "index.html").read_text()
    for stem in stems:
        page = (handout / f"{stem}.html").read_text()
        assert f"<title>{heading(stem)}</title>" in page.replace("&amp;", "&")
        assert f'href="{stem}.html"' in index
        assert '<link rel="stylesheet" href="style.css">' in page


def test_pages_hold_the_prose_each_steps_result_and_commands_in_monospace(handout):
    page = (handout / "02-create-managed-identity.html").read_text()
    assert "This identity is what ai-service will <em>be</em>" in page
    assert "<pre><code>rb.create_managed_identity()</code></pre>" in page
    assert "<strong>create-managed-identity</strong>" in page            # the step's recorded result
    assert ("<summary>Equivalent command</summary><pre style='font-family:monospace;white-space:pre-wrap;"
            "word-break:break-all'>az identity create -g myResourceGroup -n myIdentity") in page  # monospace
    assert "pre,code{font-family:ui-monospace" in (handout / "style.css").read_text()


def test_no_parameters_cell(handout):
    text = bundle_text(handout)
    assert "papermill injects overrides below this cell" not in text and "target = &#x27;emulator&#x27;" not in text
    assert "rollout_timeout = " not in text  # the cell's assignment (prose may name the parameter)


def test_the_bundle_has_no_absolute_path_and_no_non_local_url(handout):
    assert_offline_and_relative(handout, ROOT, Path.home())


def test_a_runs_executed_notebooks_lose_the_injected_parameters_and_the_machines_paths(tmp_path):
    """What `python -m keyless run` writes: papermill's injected cell with the absolute data folder, and
    outputs naming it."""
    run = tmp_path / "run"
    run.mkdir()
    data = tmp_path / "data"
    shutil.copy(NOTEBOOKS / "00-before-you-begin.ipynb", run)
    book = run / "00-before-you-begin.ipynb"
    nb = nbformat.read(book, as_version=4)
    injected = nbformat.v4.new_code_cell(f"# Parameters\ndata_dir = '{data}'\n",
                                         metadata={"tags": ["injected-parameters"]})
    said = nbformat.v4.new_code_cell("print(rb.state.path)", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text=f"{data}/state/emulator.json\n/home/someone/.keyless/kubeconfig\n")])
    nb.cells[2:2] = [injected, said]
    nbformat.write(nb, book)
    out = tmp_path / "handout"
    write_handout(out, run)
    text = (out / "00-before-you-begin.html").read_text()
    assert "data_dir" not in text
    assert "[temporary folder]" in text and "[path]/someone/.keyless/kubeconfig" in text
    assert_offline_and_relative(out, tmp_path, run, data)


@pytest.mark.slow
def test_the_command_line_writes_the_bundle_or_names_a_folder_without_notebooks(tmp_path):
    done = subprocess.run([sys.executable, "-m", "keyless", "handout", "--out", str(tmp_path / "h")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "h" / "index.html").is_file() and "handout: 8 pages" in done.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = subprocess.run([sys.executable, "-m", "keyless", "handout", "--notebooks", str(empty), "--out",
                          str(tmp_path / "x")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and f"error: --notebooks: no notebooks (NN-*.ipynb) in {empty}" in bad.stderr
