"""A reset replaces the whole state, the running store included: every listening socket and every
container process of the replaced state must go with it, or a long workshop day runs out of them.

A hundred resets, the issue's count and a workshop day's worth (a leak that shows only on some resets still
adds up); `KEYLESS_HYGIENE_RESETS` sets another count, e.g. 10 for a quick local check."""
from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest
from kit import wait_for

from keyless_emulator import ControlClient, EmulatorConfig, start_in_thread

RESETS = int(os.environ.get("KEYLESS_HYGIENE_RESETS", "100"))
# The processes of a node with the store running: the pod runtime host (storeapps/host.py, working in the
# node's pods folder) and the store's three containers it forks.
STORE_PROCESSES = 1 + 3


def _in(folder: Path, process: psutil.Process) -> bool:
    try:
        return process.cwd().startswith(str(folder))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _footprint(me: psutil.Process, home: Path) -> tuple[int, int]:
    """(listening TCP sockets of this process, the node processes this emulator runs — the pod runtime
    host and its containers: their working folders are under its data folder, other emulators of the
    test session have their own)."""
    listening = [c for c in me.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    return len(listening), sum(_in(home, p) for p in me.children(recursive=True))


class Steady:
    """True once the store's processes run and the footprint held still for a second."""

    def __init__(self, me: psutil.Process, home: Path):
        self.me, self.home, self.seen, self.since = me, home, (-1, -1), time.monotonic()

    def __call__(self) -> tuple[int, int] | None:
        now = _footprint(self.me, self.home)
        if now != self.seen:
            self.seen, self.since = now, time.monotonic()
        return now if now[1] == STORE_PROCESSES and time.monotonic() - self.since >= 1.0 else None


@pytest.mark.slow
def test_many_resets_leave_as_many_sockets_and_processes_as_one(tmp_path):
    home = tmp_path / "home"
    emu = start_in_thread(EmulatorConfig(home=home, kubelet=True))
    try:
        control = ControlClient.of(emu.info, timeout=60)
        me = psutil.Process()
        control.reset("before-you-begin")
        baseline = wait_for(Steady(me, home), 30, "the store's processes, settled", interval=0.2)
        for _ in range(RESETS):
            control.reset("before-you-begin")
        wait_for(lambda: _footprint(me, home) == baseline, 30, f"the footprint of one reset, {baseline}",
                 interval=0.2)
    finally:
        emu.stop()
