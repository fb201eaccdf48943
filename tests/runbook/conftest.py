"""One in-process emulator for the runbook tests (with the kubelet, so ai-service really runs),
reset to `before-you-begin` before each test; a fresh data folder (state file) per test."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import keyless
from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    home: Path = tmp_path_factory.mktemp("runbook-emulator")
    emu = start_in_thread(EmulatorConfig(home=home, kubelet=True), write_runtime=True)
    yield emu
    emu.stop()


class Admin(ControlClient):
    """The emulator's control API, with the shorthand the runbook tests use."""

    def requests(self, since: int | None = None) -> list[dict[str, Any]]:
        """What clients sent (the control API's own calls left out)."""
        return self.client_requests(since)

    def mutating(self) -> list[str]:
        return self.mutating_requests()


@pytest.fixture
def admin(emulator: InProcessEmulator) -> Admin:
    info = emulator.info
    return Admin(info.url, info.ca_cert, info.admin_key)


@pytest.fixture
def fresh(emulator: InProcessEmulator, admin: Admin) -> InProcessEmulator:
    admin.quiet()
    return emulator


@pytest.fixture
def params(tmp_path: Path) -> keyless.Parameters:
    return keyless.Parameters(data_dir=str(tmp_path / "data"), rollout_timeout=60, verify_timeout=30)


@pytest.fixture
def rb(fresh: InProcessEmulator, params: keyless.Parameters) -> keyless.Runbook:
    return keyless.init(params, emulator=fresh.info)
