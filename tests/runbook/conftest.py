"""The runbook tests run on the kit's `node_emulator` (with the kubelet, so ai-service really runs),
reset to `before-you-begin` before each test; a fresh data folder (state file) per test.

`executed_run` is the one whole `python -m keyless run` of the session: the tests that check what a
passed run on the emulator writes (the CLI's artifacts, the recordings it would make) read it instead
of each executing every notebook again."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from figures import FIGURES

import keyless
from keyless_emulator import ControlClient, InProcessEmulator, stop


@pytest.fixture(scope="session")
def emulator(node_emulator: InProcessEmulator) -> InProcessEmulator:
    """Every runbook test needs running pods: the kit's `control` and `fresh` follow this override."""
    return node_emulator


class Admin(ControlClient):
    """The emulator's control API, with the shorthand the runbook tests use."""

    def requests(self, since: int | None = None) -> list[dict[str, Any]]:
        """What clients sent (the control API's own calls left out)."""
        return self.client_requests(since)

    def mutating(self) -> list[str]:
        return self.mutating_requests()


@pytest.fixture
def figures() -> list[str]:
    """Lines the torture suite's parts report (faults held, interruptions, refusals): printed once, at the
    end of the session, whatever else ran and in whichever worker process (tests/figures.py)."""
    return FIGURES


@pytest.fixture
def admin(emulator: InProcessEmulator) -> Admin:
    return Admin.of(emulator.info)


@pytest.fixture
def params(tmp_path: Path) -> keyless.Parameters:
    return keyless.Parameters(data_dir=str(tmp_path / "data"), rollout_timeout=60, verify_timeout=30)


@pytest.fixture
def rb(fresh: InProcessEmulator, params: keyless.Parameters) -> keyless.Runbook:
    return keyless.init(params, emulator=fresh.info)


@dataclass(frozen=True)
class ExecutedRun:
    """A finished `python -m keyless run --target emulator`: its process result, data folder and output folder."""

    done: subprocess.CompletedProcess[str]
    home: Path
    out: Path


@pytest.fixture(scope="session")
def executed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExecutedRun]:
    """Every notebook run once, as `make run` runs them: a subprocess with a fresh background emulator
    of its own data folder (deterministic, before-you-begin), left running until the session ends so
    the tests can read its logs and state. Tests only read it; none may change it."""
    base = tmp_path_factory.mktemp("executed-run")
    home, out = base / "data", base / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYLESS_")}
    done = subprocess.run([sys.executable, "-m", "keyless", "run", "--target", "emulator", "-p", "data_dir", str(home),
                           "--out", str(out)], cwd=base, env=env, capture_output=True, text=True, timeout=900)
    try:
        yield ExecutedRun(done, home, out)
    finally:
        stop(home)
