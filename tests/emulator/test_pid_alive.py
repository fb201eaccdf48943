"""`runtime.pid_alive`, which `stop` polls after SIGTERM: a process that has exited but that its parent
has not collected yet (a zombie) has ended, and its exit status stays its parent's to collect."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kit import wait_for

from keyless_emulator import runtime


def _state(pid: int) -> str:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rfind(")") + 2]


def test_an_exited_child_not_yet_collected_counts_as_ended_and_keeps_its_exit_status():
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])
    try:
        wait_for(lambda: _state(child.pid) == "Z", 30, "the child to exit (a zombie until collected)")
        assert runtime.pid_alive(child.pid) is False
        assert child.wait(timeout=5) == 7  # not collected by pid_alive: the parent still reads its status
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_running_process_counts_as_alive_and_a_collected_one_as_ended():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert runtime.pid_alive(child.pid) is True
    finally:
        child.kill()
        child.wait()
    assert runtime.pid_alive(child.pid) is False
