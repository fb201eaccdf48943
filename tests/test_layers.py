"""The layer rule: keyless.emulator imports nothing from the rest of keyless."""
from __future__ import annotations

import ast
from pathlib import Path

import keyless.emulator

EMULATOR = Path(keyless.emulator.__file__).parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(["keyless", "emulator", *path.relative_to(EMULATOR).parent.parts])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                out.append(".".join(base + ([node.module] if node.module else [])))
            else:
                out.append(node.module or "")
    return out


def test_emulator_imports_nothing_else_from_keyless():
    offenders = {}
    for path in EMULATOR.rglob("*.py"):
        bad = [m for m in _imports(path) if (m == "keyless" or m.startswith("keyless.")) and not
               (m == "keyless.emulator" or m.startswith("keyless.emulator."))]
        if bad:
            offenders[str(path.relative_to(EMULATOR))] = bad
    assert offenders == {}


def test_the_rule_detects_a_violation(tmp_path):
    probe = EMULATOR / "_layer_probe_tmp.py"
    probe.write_text("from ..steps import x\nimport keyless.targets\n")
    try:
        assert set(_imports(probe)) == {"keyless.steps", "keyless.targets"}
    finally:
        probe.unlink()
