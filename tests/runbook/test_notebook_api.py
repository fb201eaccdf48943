"""The notebooks use only the runbook's public API: they import `keyless` and nothing else, reach
only names `keyless.__all__` advertises, and call only public `Runbook` methods on what
`keyless.init` returns — so everything a cell does is found from the cell in two hops."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

import keyless

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def _code(path: Path) -> list[ast.Module]:
    nb = nbformat.read(path, as_version=4)
    return [ast.parse(c.source) for c in nb.cells
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


def _runbook_names(trees: list[ast.Module]) -> set[str]:
    """Names bound to `keyless.init(...)`."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                func = node.value.func
                if isinstance(func, ast.Attribute) and func.attr == "init":
                    names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def offences(path: Path) -> list[str]:
    """What a notebook's cells do beyond the public API (empty when nothing)."""
    trees = _code(path)
    runbooks = _runbook_names(trees)
    public = {n for n in dir(keyless.Runbook) if not n.startswith("_")}
    out = []
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [f"import {a.name}" for a in node.names if a.name != "keyless"]
            elif isinstance(node, ast.ImportFrom):
                out.append(f"from {node.module} import ...")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "keyless" and node.attr not in keyless.__all__:
                    out.append(f"keyless.{node.attr}")
                elif node.value.id in runbooks and node.attr not in public:
                    out.append(f"{node.value.id}.{node.attr}")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_import_only_keyless_and_use_only_its_public_api(path):
    assert _runbook_names(_code(path)) == {"rb"}
    assert offences(path) == []


def test_the_rule_sees_private_imports_names_and_methods(tmp_path):
    source = ("from keyless.steps.deploy import USE_LABEL\nimport keyless\nimport os\n"
              "rb = keyless.init(globals())\nkeyless.targets\nrb._run\nrb.verify()")
    path = tmp_path / "probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    assert offences(path) == ["from keyless.steps.deploy import ...", "import os", "keyless.targets", "rb._run"]
