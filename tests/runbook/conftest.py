"""The runbook tests run on the kit's `node_emulator` (with the kubelet, so ai-service really runs),
reset to `before-you-begin` before each test; a fresh data folder (state file) per test."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import keyless
from keyless_emulator import ControlClient, InProcessEmulator

FIGURES: list[str] = []


@pytest.fixture
def figures() -> list[str]:
    """Lines the torture suite's parts report (faults held, interruptions, refusals): printed once,
    at the end of the session, whatever else ran."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("torture suite figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


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
def admin(emulator: InProcessEmulator) -> Admin:
    return Admin.of(emulator.info)


@pytest.fixture
def params(tmp_path: Path) -> keyless.Parameters:
    return keyless.Parameters(data_dir=str(tmp_path / "data"), rollout_timeout=60, verify_timeout=30)


@pytest.fixture
def rb(fresh: InProcessEmulator, params: keyless.Parameters) -> keyless.Runbook:
    return keyless.init(params, emulator=fresh.info)
