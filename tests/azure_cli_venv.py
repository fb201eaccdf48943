"""A pinned azure-cli in its own cached virtual environment, outside the repository.

azure-cli pins older azure-core and management SDKs than the project's (installing it into the
project's environment would downgrade them), and it is large (about 730 MB, a minute to install),
so it lives in `$KEYLESS_CACHE` (default `~/.cache/keyless`) as `azure-cli-<version>/`, made once by
the machine's `python3 -m venv` and pip (tests/cached_build.py: built under another name and renamed
when done, one process at a time). az is run as `<venv>/bin/python -m azure.cli`, which keeps working
whatever the folder is called.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cached_build import MARKER, built, cache_root

AZURE_CLI_VERSION = "2.91.0"
__all__ = ["AZURE_CLI_VERSION", "MARKER", "az_command", "venv_dir"]


def venv_dir(version: str = AZURE_CLI_VERSION) -> Path:
    return cache_root() / f"azure-cli-{version}"


def az_command(version: str = AZURE_CLI_VERSION) -> list[str]:
    """The az of the cached environment as a command prefix, built first when missing."""
    target = built(venv_dir(version), version, lambda folder: _build(folder, version))
    return [str(target / "bin" / "python"), "-m", "azure.cli"]


def _base_python() -> str:
    return shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)


def _build(folder: Path, version: str, timeout: float = 1500) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([_base_python(), "-m", "venv", str(folder)], check=True, env=env, timeout=120)
    subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", f"azure-cli=={version}"],
                   check=True, env=env, timeout=timeout)
