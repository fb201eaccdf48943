"""Rules the test suite keeps, read from its own source: no fixed sleeps (tests poll with a bound,
through `kit.wait_for`), and no comparison left as a bare statement (every comparison asserts)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
POLLING = TESTS / "kit" / "polling.py"


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(TESTS)), ast.parse(p.read_text())) for p in sorted(TESTS.rglob("*.py"))]


def test_no_test_sleeps_a_fixed_time():
    """`time.sleep` only inside the kit's polling helper (code in strings, such as a launcher script a test
    runs as a subprocess, is not the suite's own)."""
    sleeps = [f"{name}:{node.lineno}" for name, tree in _modules() if name != str(POLLING.relative_to(TESTS))
              for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sleep"]
    assert sleeps == []


def test_every_comparison_asserts():
    bare = [f"{name}:{node.lineno}" for name, tree in _modules() for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Compare, ast.BoolOp))]
    assert bare == []
