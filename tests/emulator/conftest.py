"""An in-process emulator for the emulator tests, and factories for the real SDK clients."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

from keyless.emulator import EmulatorConfig, InProcessEmulator, start_in_thread

from .clients import Clients


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    home: Path = tmp_path_factory.mktemp("emulator-home")
    emu = start_in_thread(EmulatorConfig(home=home, kubelet=False))
    yield emu
    emu.stop()


@pytest.fixture
def fresh(emulator: InProcessEmulator) -> InProcessEmulator:
    """The session emulator reset to `before-you-begin`, with no faults and an instant latency profile."""
    admin = {"x-emulator-admin-key": emulator.info.admin_key}
    base, verify = emulator.info.url, emulator.info.ca_cert
    requests.post(f"{base}/_emulator/reset", json={"scenario": "before-you-begin"}, headers=admin, verify=verify).raise_for_status()
    requests.put(f"{base}/_emulator/latency", json={"profile": "instant"}, headers=admin, verify=verify).raise_for_status()
    requests.put(f"{base}/_emulator/settings", json={"federation_propagation_seconds": 0, "role_propagation_seconds": 0},
                 headers=admin, verify=verify).raise_for_status()
    requests.delete(f"{base}/_emulator/requests", headers=admin, verify=verify).raise_for_status()
    return emulator


@pytest.fixture
def clients(fresh: InProcessEmulator) -> Clients:
    return Clients(fresh.info)
