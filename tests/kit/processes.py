"""The emulator's command line as a user runs it (`python -m keyless_emulator ...`), offline and with
its own data folder, and the clean-up of any process a test started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from keyless_emulator import runtime

from .polling import wait_for

# Anything that tries to leave the machine through a proxy-aware client fails at once.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}


def cli_env(home: Path) -> dict[str, str]:
    """This process's environment without Azure or keyless settings, offline, with `home` as KEYLESS_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KEYLESS_"))}
    return {**env, **OFFLINE, "KEYLESS_HOME": str(home)}


def cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m keyless_emulator *args` with `home` as its data folder."""
    return subprocess.run([sys.executable, "-m", "keyless_emulator", *args], env=cli_env(home), capture_output=True,
                          text=True, timeout=timeout)


def kill_if_alive(pid: int) -> None:
    """Terminate `pid` if it still runs, and kill it if it has not ended 10 s later."""
    if pid and runtime.pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        try:
            wait_for(lambda: not runtime.pid_alive(pid), 10, f"process {pid} to end")
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
