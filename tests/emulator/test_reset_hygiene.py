"""A reset replaces the whole state, the running store included: every listening socket and every
container process of the replaced state must go with it, or a long workshop day runs out of them."""
from __future__ import annotations

import time

import psutil
import pytest

from keyless_emulator import ControlClient, EmulatorConfig, start_in_thread

RESETS = 100


def _footprint(me: psutil.Process) -> tuple[int, int]:
    listening = [c for c in me.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    return len(listening), len(me.children(recursive=True))


def _settled(me: psutil.Process, wanted: tuple[int, int] | None, timeout: float) -> tuple[int, int]:
    """The footprint once it equals `wanted` (or, with None, once the store's three processes run and
    the figures hold still for a second), or the last one seen when `timeout` runs out."""
    deadline = time.monotonic() + timeout
    seen, steady_since = _footprint(me), time.monotonic()
    while time.monotonic() < deadline:
        if seen == wanted or (wanted is None and seen[1] == 3 and time.monotonic() - steady_since >= 1.0):
            return seen
        time.sleep(0.2)
        now = _footprint(me)
        if now != seen:
            seen, steady_since = now, time.monotonic()
    return seen


@pytest.mark.slow
def test_a_hundred_resets_leave_as_many_sockets_and_processes_as_one(tmp_path):
    emu = start_in_thread(EmulatorConfig(home=tmp_path / "home", kubelet=True))
    try:
        control = ControlClient.of(emu.info, timeout=60)
        me = psutil.Process()
        control.reset("before-you-begin")
        baseline = _settled(me, None, timeout=30)  # what one loaded scenario holds, once it settles
        for _ in range(RESETS):
            control.reset("before-you-begin")
        assert _settled(me, baseline, timeout=30) == baseline
        assert baseline[1] == 3  # the store's three apps, one process each
    finally:
        emu.stop()
