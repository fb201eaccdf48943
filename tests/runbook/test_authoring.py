"""keyless.authoring: every committed notebook is what its MyST Markdown text source generates (only
the parameters cell and the cell ids are derived), the text sources hold no outputs, and
regenerating keeps the recorded outputs of unchanged cells, byte for byte."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import jupytext
import nbformat
import pytest

import keyless
from keyless.authoring import (
    PARAMETERS_TAG,
    PLACEHOLDER,
    AuthoringError,
    check_text,
    generated,
    parameters_source,
    text_sources,
    write_notebooks,
)
from keyless.params import MEANINGS, Parameters

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
            "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
            "06-disable-key-access", "99-clean-up", "prerequisites", "teardown"]


def copy_notebooks(to: Path) -> Path:
    """The notebooks folder's text sources and notebooks, copied so a test never writes into the source tree."""
    to.mkdir()
    for path in [*NOTEBOOKS.glob("*.md"), *NOTEBOOKS.glob("*.ipynb")]:
        shutil.copy(path, to / path.name)
    return to


def test_every_notebook_has_a_text_source():
    assert [p.stem for p in text_sources(NOTEBOOKS)] == EXPECTED
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


def test_committed_notebooks_have_the_sources_their_text_sources_generate():
    """Sources, cell ids, cell metadata and notebook metadata exactly as generated; the recorded
    outputs (`python -m keyless record`) are the only addition."""
    for stem, want in generated(NOTEBOOKS).items():
        have = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        assert have.metadata == want.metadata, stem
        assert [(c.id, c.cell_type, c.source, c.metadata) for c in have.cells] == \
               [(c.id, c.cell_type, c.source, c.metadata) for c in want.cells], \
               f"{stem}: edit notebooks/{stem}.md and run `make notebooks`"


@pytest.mark.parametrize("stem", EXPECTED)
def test_text_sources_carry_no_outputs_and_only_the_parameters_cell_is_generated(stem):
    path = NOTEBOOKS / f"{stem}.md"
    text = jupytext.read(path, fmt="md:myst")
    check_text(text, path.name)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in text.cells)
    assert "output_type" not in path.read_text() and "execution_count" not in path.read_text()
    have = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    differing = [h.id for h, t in zip(have.cells, text.cells, strict=True) if h.source != t.source]
    assert differing == [c.id for c in have.cells if PARAMETERS_TAG in c.metadata.get("tags", [])]


def test_the_parameters_cell_is_every_default_with_its_meaning():
    assert set(MEANINGS) == set(keyless.params.NAMES)
    lines = parameters_source().splitlines()
    assert lines[0].startswith("# Parameters (papermill injects overrides below this cell")
    assert lines[1:] == [f"{f.name} = {getattr(Parameters(), f.name)!r}  # {MEANINGS[f.name]}"
                         for f in fields(Parameters)]
    assert "verify_timeout = 120  # seconds to wait for a generated description" in lines


@pytest.mark.slow
def test_regenerating_writes_the_committed_notebooks_byte_for_byte(tmp_path):
    folder = copy_notebooks(tmp_path / "notebooks")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "keyless.authoring", "--notebooks", str(folder)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == \
           {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}


def test_a_changed_cell_loses_its_recorded_outputs_and_clearing_is_explicit(tmp_path):
    folder = copy_notebooks(tmp_path / "notebooks")
    recorded = nbformat.read(folder / "02-create-managed-identity.ipynb", as_version=4)
    source = folder / "02-create-managed-identity.md"
    source.write_text(source.read_text().replace("rb.create_managed_identity()\n",
                                                 "rb.create_managed_identity()  # changed\n"))
    said: list[str] = []
    assert write_notebooks(folder, echo=said.append) == [folder / "02-create-managed-identity.ipynb"]
    assert said == ["wrote 02-create-managed-identity.ipynb"]
    kept = nbformat.read(folder / "02-create-managed-identity.ipynb", as_version=4)
    assert kept.cells[-1].source.endswith("# changed")
    assert kept.cells[-1].outputs == [] and kept.cells[-1].execution_count is None
    assert kept.cells[3].outputs == recorded.cells[3].outputs and kept.cells[3].outputs

    write_notebooks(folder, clear_outputs=True, echo=said.append)
    for path in folder.glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        assert all(c.get("outputs", []) == [] and c.get("execution_count") is None for c in cells), path.name


def test_a_written_out_parameters_cell_is_refused(tmp_path):
    folder = copy_notebooks(tmp_path / "notebooks")
    source = folder / "02-create-managed-identity.md"
    source.write_text(source.read_text().replace(PLACEHOLDER, "identity = 'otherIdentity'"))
    before = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
    with pytest.raises(AuthoringError, match=r"02-create-managed-identity.md: the parameters cell is generated"):
        write_notebooks(folder)
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == before


def test_a_text_source_without_a_parameters_cell_is_refused(tmp_path):
    folder = copy_notebooks(tmp_path / "notebooks")
    source = folder / "99-clean-up.md"
    source.write_text(source.read_text().replace(":tags: [parameters]\n", ""))
    with pytest.raises(AuthoringError, match=r"99-clean-up.md: needs exactly one code cell tagged 'parameters', "
                                             r"found 0"):
        write_notebooks(folder)


def test_a_notebook_without_a_text_source_is_refused_before_anything_is_written(tmp_path):
    folder = copy_notebooks(tmp_path / "notebooks")
    (folder / "05-test-the-application.md").unlink()
    (folder / "02-create-managed-identity.md").write_text(
        (folder / "02-create-managed-identity.md").read_text().replace("rb.create_managed_identity()", "rb"))
    before = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
    with pytest.raises(AuthoringError, match=r"^no text source \(\.md\) for 05-test-the-application.ipynb in "):
        write_notebooks(folder)
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == before


def test_the_command_exits_1_and_says_why_when_a_text_source_is_refused(tmp_path, capsys):
    from keyless.authoring import main

    folder = copy_notebooks(tmp_path / "notebooks")
    (folder / "99-clean-up.md").unlink()
    assert main(["--notebooks", str(folder)]) == 1
    assert capsys.readouterr().err == f"error: no text source (.md) for 99-clean-up.ipynb in {folder}\n"


@pytest.mark.parametrize("stem", EXPECTED)
def test_each_notebook_has_one_parameters_cell_stable_ids_and_python3(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split(" = ")[0] for line in tagged[0].source.splitlines() if " = " in line}
    assert names == set(keyless.params.NAMES)
    assert all(c.id.startswith(f"nb{stem.split('-', 1)[0]}-") for c in nb.cells)
    assert "keyless.init(globals())" in "".join(c.source for c in nb.cells)
