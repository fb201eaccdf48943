"""The shared emulator fixtures, loaded for the whole suite by `tests/conftest.py`.

Two in-process emulators at most per session: `emulator` (no kubelet: Resource Manager, Entra,
OIDC, OpenAI and the API server) and `node_emulator` (with the kubelet, so pods run as local
processes; its runtime file is written, as the runbook's tools read it). A test directory that
needs the kubelet for every test overrides `emulator` with `node_emulator` (tests/runbook does),
and `control` and `fresh` follow.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from keyless_emulator import ControlClient, EmulatorConfig, InProcessEmulator, start_in_thread


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """One in-process emulator without a kubelet for the session."""
    emu = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("emulator-home"), kubelet=False))
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def node_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """One in-process emulator whose kubelet runs pods as processes, for the session."""
    emu = start_in_thread(EmulatorConfig(home=tmp_path_factory.mktemp("node-home"), kubelet=True),
                          write_runtime=True)
    yield emu
    emu.stop()


@pytest.fixture
def control(emulator: InProcessEmulator) -> ControlClient:
    """The control API of `emulator`, through the one client of it."""
    return ControlClient.of(emulator.info)


@pytest.fixture
def fresh(emulator: InProcessEmulator, control: ControlClient) -> InProcessEmulator:
    """`emulator` reset to `before-you-begin`, with no faults, instant operations, no propagation
    delays and an empty request log."""
    control.quiet()
    return emulator
