"""The exercises in docs/exercises/ do what they say: every Python cell of an exercise breaks its link,
`verify` then fails naming it, and every cell of its separate solution mends it (run as written)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import keyless

from .test_full_run import run_main

EXERCISES = Path(__file__).resolve().parents[2] / "docs" / "exercises"
CELL = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
FAILING = {
    "1-wrong-subject": "federated credential myFedIdentity trusts system:serviceaccount:default:ai-service-account",
    "2-missing-role": "Cognitive Services OpenAI User for myIdentity at the account's scope",
    "3-missing-label": "pod labelled azure.workload.identity/use=true",
}


def run_cells(page: Path, namespace: dict) -> keyless.StepResult:
    """Execute the page's Python cells in order; the last one is an expression (a `verify`): its value."""
    cells = CELL.findall(page.read_text())
    assert cells, page
    for source in cells[:-1]:
        exec(compile(source, str(page), "exec"), namespace)  # the documentation's own cells
    return eval(compile(cells[-1], str(page), "eval"), namespace)


def test_every_exercise_has_a_hint_and_a_separate_solution():
    for name in FAILING:
        page = (EXERCISES / f"{name}.md").read_text()
        assert "## Break it" in page and "## Find it" in page and f"(solutions/{name}.md)" in page
        assert (EXERCISES / "solutions" / f"{name}.md").is_file()
        assert "rb.verify()" not in page  # the mending is in the solution only
    index = (EXERCISES / "README.md").read_text()
    assert all(f"({name}.md)" in index for name in FAILING)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(FAILING))
def test_the_exercise_breaks_its_link_and_the_solution_mends_it(rb, name):
    run_main(rb)
    namespace = {"rb": rb, "keyless": keyless}
    broken = run_cells(EXERCISES / f"{name}.md", namespace)
    assert not broken.ok
    assert FAILING[name] in [c.name for c in broken.checks if not c.ok], repr(broken)
    mended = run_cells(EXERCISES / "solutions" / f"{name}.md", namespace)
    assert mended.ok, repr(mended)
