"""Every pin resolves to wheels on each Python the project supports (requires-python), without installing.

A pin that has no wheel for Python 3.12 or 3.13 (or needs a dependency that has none) fails here, long
before a user on that Python meets it. pip resolves the exact pins of pyproject.toml (the project, the
notebooks and dev extras) for the given interpreter version in dry-run mode; it needs the package index
and skips, saying so, when the index cannot be reached.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE = ("Max retries exceeded", "NewConnectionError", "Temporary failure in name resolution",
               "Name or service not known", "Network is unreachable", "Connection refused", "ConnectTimeoutError",
               "ReadTimeoutError")


def _pins() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [pin for extra in ("notebooks", "dev")
                                      for pin in project["optional-dependencies"][extra]]


def test_the_supported_pythons_are_3_11_to_3_13():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.14"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("python", ["3.12", "3.13"])
def test_every_pin_has_wheels_for(python, tmp_path):
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--no-input",
         "--python-version", python, "--only-binary=:all:", "--target", str(tmp_path / "target"),
         "--report", str(report), *_pins()],
        capture_output=True, text=True, timeout=840)
    if done.returncode != 0 and any(sign in done.stderr for sign in UNREACHABLE):
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, f"the pins do not resolve for Python {python}:\n{done.stderr[-3000:]}"
    resolved = {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    for pin in _pins():
        name, version = pin.split("==")
        assert resolved.get(name.split("[")[0].lower().replace("_", "-")) == version, pin
