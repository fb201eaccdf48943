"""environment.yml and pyproject.toml must agree: one place for pins, same Python, same extras."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_uses_conda_forge_and_the_project_python():
    env = _environment()
    assert env["channels"] == ["conda-forge"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    # one minor version as `python=X.Y`, the only form repo2docker (Binder) reads its Python from
    # (its CondaBuildPack matches `python\s*=+\s*([\d.]*)`), within requires-python
    minor = int(re.fullmatch(r"python=3\.(\d+)", python).group(1))
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", _pyproject()["project"]["requires-python"]).groups()
    assert int(low) <= minor < int(high)


def test_environment_installs_this_project_with_existing_extras():
    env = _environment()
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert len(pip) == 1
    m = re.fullmatch(r"-e \.\[([a-z,]+)\]", pip[0])
    assert m, f"the pip section must install the project itself, got {pip[0]!r}"
    extras = set(m.group(1).split(","))
    assert extras <= set(_pyproject()["project"]["optional-dependencies"])
    assert {"notebooks", "dev"} <= extras


def test_every_dependency_is_pinned_exactly_and_only_in_pyproject():
    project = _pyproject()["project"]
    deps = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
    loose = [d for d in deps if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-+]*", d)]
    assert loose == []
    names = [re.split(r"[=\[]", d)[0].lower() for d in deps]
    assert len(names) == len(set(names)), "a package is listed twice"
    env_text = (ROOT / "environment.yml").read_text()
    assert "==" not in env_text, "pins belong in pyproject.toml only"
