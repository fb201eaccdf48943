"""notebooks/build.py and the committed notebooks: the article's sections with the generator's sources,
recorded outputs kept on a rebuild (in a copy: a test never writes into the source tree), one
parameters cell per notebook."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import keyless

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

EXPECTED = ["00-before-you-begin", "01-enable-workload-identity", "02-create-managed-identity",
            "03-create-federated-credential", "04-use-workload-identity-on-aks", "05-test-the-application",
            "99-clean-up"]


def generator():
    """notebooks/build.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_the_articles_sections_with_the_generators_sources():
    """Sources, cell ids, cell metadata and notebook metadata exactly as build.py writes them;
    outputs (recorded by `python -m keyless record`) are allowed."""
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED
    generated = generator().generated()
    assert sorted(generated) == EXPECTED
    for stem, want in generated.items():
        have = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        assert have.metadata == want.metadata, stem
        assert [(c.id, c.cell_type, c.source, c.metadata) for c in have.cells] == \
               [(c.id, c.cell_type, c.source, c.metadata) for c in want.cells], f"{stem}: run notebooks/build.py"


def test_rebuilding_keeps_the_recorded_outputs(tmp_path):
    """`python notebooks/build.py` on a copy of notebooks/ (the script writes next to itself)."""
    copy = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    before = {p.name: p.read_text() for p in NOTEBOOKS.glob("*.ipynb")}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, str(copy / "build.py")], check=True, capture_output=True, env=env)
    assert {p.name: p.read_text() for p in copy.glob("*.ipynb")} == before, "run notebooks/build.py"


def test_a_changed_cell_loses_its_recorded_outputs_and_clearing_is_explicit():
    from keyless.recording import keep_outputs

    build = generator()
    recorded = nbformat.read(NOTEBOOKS / "02-create-managed-identity.ipynb", as_version=4)
    fresh = build.generated()["02-create-managed-identity"]
    assert keep_outputs(fresh, recorded).cells == recorded.cells
    fresh.cells[-1].source += "  # changed"
    kept = keep_outputs(fresh, recorded)
    assert kept.cells[-1].outputs == [] and kept.cells[-1].execution_count is None
    assert kept.cells[3].outputs == recorded.cells[3].outputs
    assert all(c.get("outputs", []) == [] for c in build.generated()["02-create-managed-identity"].cells)


@pytest.mark.parametrize("stem", EXPECTED)
def test_each_notebook_has_one_parameters_cell_stable_ids_and_python3(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split(" = ")[0] for line in tagged[0].source.splitlines() if " = " in line}
    assert names == set(keyless.params.NAMES)
    assert all(c.id.startswith(f"nb{stem[:2]}-") for c in nb.cells)
    assert "keyless.init(globals())" in "".join(c.source for c in nb.cells)
