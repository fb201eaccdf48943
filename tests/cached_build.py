"""A tool the tests need, built once per machine into `$KEYLESS_CACHE` (default `~/.cache/keyless`), outside
the repository: the Azure CLI's virtual environment (tests/azure_cli_venv.py), code-server (tests/code_server.py).

A half-built folder is never taken for a finished one: the tool is built under another name and renamed when
done, with a marker file inside. Test processes running side by side (pytest-xdist) build it once: the first
holds a lock file while it builds, the others wait for it and use what it built.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

MARKER = "keyless-installed"


def cache_root() -> Path:
    return Path(os.environ.get("KEYLESS_CACHE") or Path.home() / ".cache" / "keyless")


def built(target: Path, version: str, build: Callable[[Path], None]) -> Path:
    """`target`, made by `build(folder)` into a fresh folder first when it has not been (its marker absent)."""
    if not (target / MARKER).exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_name(f"{target.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (target / MARKER).exists():  # built by another process while this one waited
                _build(target, version, build)
    return target


def _build(target: Path, version: str, build: Callable[[Path], None]) -> None:
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        build(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # nothing half-built is left behind
        raise
    (partial / MARKER).write_text(version + "\n")
    if target.exists():  # another run finished first, or an unmarked leftover
        if (target / MARKER).exists():
            shutil.rmtree(partial, ignore_errors=True)
            return
        shutil.rmtree(target)
    partial.rename(target)
