"""An in-process emulator for the emulator tests, and factories for the real SDK clients."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread

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
    ControlClient.of(emulator.info).quiet()
    return emulator


@pytest.fixture
def clients(fresh: InProcessEmulator) -> Clients:
    return Clients(fresh.info)
