"""Starting the emulator as a background process, finding it, and stopping it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import runtime
from .config import EmulatorConfig


def start_background(config: EmulatorConfig, timeout: float = 30.0) -> runtime.EmulatorInfo:
    """Start `serve` detached; return once its runtime file is written and it answers health."""
    try:
        existing = attach(config.home)
        return existing
    except runtime.EmulatorNotRunning:
        pass
    config.home.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "keyless_emulator", "serve", "--home", str(config.home), "--host", config.host,
            "--port", str(config.port), "--scenario", config.scenario, "--seed", config.seed,
            "--latency", config.latency, "--latency-factor", str(config.latency_factor),
            "--idle-stop", str(config.idle_stop)]
    if not config.deterministic:
        args.append("--random")
    if not config.kubelet:
        args.append("--no-kubelet")
    log = open(config.log_file, "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the emulator exited with status {proc.returncode}; see {config.log_file}")
        try:
            info = runtime.read(config.home)
        except runtime.EmulatorNotRunning:
            time.sleep(0.02)
            continue
        if info.pid == proc.pid and runtime.health(info.url, info.ca_cert, timeout=1.0):
            return info
        time.sleep(0.02)
    proc.terminate()
    raise RuntimeError(f"the emulator did not become healthy within {timeout:.0f}s; see {config.log_file}")


def attach(home: Path | None = None) -> runtime.EmulatorInfo:
    """The running emulator of a data folder (raises EmulatorNotRunning, with what to do)."""
    info = runtime.read(home)
    if not runtime.pid_alive(info.pid):
        raise runtime.EmulatorNotRunning(f"the runtime file names process {info.pid}, which is gone; start the "
                                         "emulator again with `python -m keyless_emulator start`")
    if runtime.health(info.url, info.ca_cert) is None:
        raise runtime.EmulatorNotRunning(f"the emulator at {info.url} does not answer; see {info.log_file}")
    return info


def stop(home: Path | None = None, timeout: float = 10.0) -> bool:
    """Stop the background emulator of a data folder; False if none was running."""
    try:
        info = runtime.read(home)
    except runtime.EmulatorNotRunning:
        return False
    if not runtime.pid_alive(info.pid):
        runtime.remove(Path(info.home), info.pid)
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and runtime.pid_alive(info.pid):
        time.sleep(0.05)
    if runtime.pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    runtime.remove(Path(info.home), info.pid)
    return True
