"""A pinned azure-cli in its own cached virtual environment, outside the repository.

azure-cli pins older azure-core and management SDKs than the project's (installing it into the
project's environment would downgrade them), and it is large (about 730 MB, a minute to install),
so it lives in `$KEYLESS_CACHE` (default `~/.cache/keyless`) as `azure-cli-<version>/`, made once by
the machine's `python3 -m venv` and pip. A fresh machine (CI) builds it on first use; a half-built
folder is never taken for a finished one: it is built under another name and renamed when done.
az is run as `<venv>/bin/python -m azure.cli`, which keeps working whatever the folder is called.
Test processes running side by side (pytest-xdist) build it once: the first holds a lock file while
it builds, the others wait for it and use what it built.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

AZURE_CLI_VERSION = "2.91.0"
MARKER = "keyless-installed"


def cache_root() -> Path:
    return Path(os.environ.get("KEYLESS_CACHE") or Path.home() / ".cache" / "keyless")


def venv_dir(version: str = AZURE_CLI_VERSION) -> Path:
    return cache_root() / f"azure-cli-{version}"


def az_command(version: str = AZURE_CLI_VERSION) -> list[str]:
    """The az of the cached environment as a command prefix, built first when missing."""
    target = venv_dir(version)
    if not (target / MARKER).exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_name(f"{target.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (target / MARKER).exists():  # built by another process while this one waited
                _build(target, version)
    return [str(target / "bin" / "python"), "-m", "azure.cli"]


def _base_python() -> str:
    return shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)


def _build(target: Path, version: str, timeout: float = 1500) -> None:
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([_base_python(), "-m", "venv", str(partial)], check=True, env=env, timeout=120)
    subprocess.run([str(partial / "bin" / "python"), "-m", "pip", "install", "--quiet", f"azure-cli=={version}"],
                   check=True, env=env, timeout=timeout)
    (partial / MARKER).write_text(version + "\n")
    if target.exists():  # another run finished first, or an unmarked leftover
        if (target / MARKER).exists():
            shutil.rmtree(partial, ignore_errors=True)
            return
        shutil.rmtree(target)
    partial.rename(target)
