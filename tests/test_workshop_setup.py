"""A room with poor network: the dev container, the offline wheelhouse and the refusal of an unsupported Python."""
from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_the_dev_container_uses_a_supported_python_and_sets_up_with_make():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    version = re.search(r"python:\d+-(3\.\d+)-", config["image"]).group(1)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", requires).groups()
    assert int(low) <= int(version.split(".")[1]) < int(high)
    assert config["postCreateCommand"].startswith("make venv notebooks")
    assert config["containerEnv"]["KEYLESS_HOME"].endswith("/.keyless")


def test_an_unsupported_python_is_refused_with_what_to_do(tmp_path):
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\necho 3.10\n")
    fake.chmod(0o755)
    done = make("venv", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}")
    assert done.returncode == 2
    assert f"error: keyless needs Python 3.11, 3.12 or 3.13; '{fake}' is 3.10." in done.stderr
    assert "make PYTHON=python3.12 run" in done.stderr and not (tmp_path / "venv").exists()
    missing = make("venv", f"PYTHON={tmp_path / 'nothing'}", f"VENV={tmp_path / 'venv'}")
    assert missing.returncode == 2 and "is not found." in missing.stderr


def test_a_filled_wheelhouse_makes_the_set_up_install_offline(tmp_path):
    plan = make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"WHEELHOUSE={tmp_path / 'wheels'}")
    assert "--no-index" not in plan.stdout                            # empty: the package index
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "azure_core-1.41.0-py3-none-any.whl").write_bytes(b"")
    plan = make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"WHEELHOUSE={tmp_path / 'wheels'}")
    assert f"pip install --quiet --no-index --find-links {tmp_path / 'wheels'} -e '.[notebooks,dev]'" in plan.stdout
    assert "replacing" in plan.stdout and "missing or unsupported" in plan.stdout  # a broken .venv is replaced


def test_the_wheelhouse_holds_what_builds_the_project_too():
    plan = make("-n", "wheelhouse", "VENV=.venv-never-made")
    assert "pip download --quiet --dest wheelhouse pip 'setuptools>=77' wheel" in plan.stdout
    assert "pip wheel --quiet --wheel-dir wheelhouse '.[notebooks,dev]'" in plan.stdout
