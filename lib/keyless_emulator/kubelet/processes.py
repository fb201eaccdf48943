"""One container instance as a local process: start it, stream its output to the pod log, stop it.

The process gets exactly the environment it is given (nothing inherited from the emulator), its
own session (so stopping reaches any child), and stdout/stderr lines go to the container's log.
Stopping is SIGTERM, then SIGKILL after the grace period, as the kubelet does.
"""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable


class ContainerProcess:
    def __init__(self, args: list[str], env: dict[str, str], cwd: str, write_log: Callable[[str, str], None]):
        self.args, self.env, self.cwd = args, env, cwd
        self.write_log = write_log
        self.proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task] = []

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, env=self.env, cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [asyncio.create_task(self._pump(self.proc.stdout, "stdout")),
                         asyncio.create_task(self._pump(self.proc.stderr, "stderr"))]

    async def _pump(self, stream: asyncio.StreamReader, name: str) -> None:
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):  # a line longer than the buffer: take what is there
                line = await stream.read(65536)
            if not line:
                return
            self.write_log(line.decode("utf-8", "replace").rstrip("\r\n"), name)

    async def wait(self) -> int:
        """The exit code, once the process ended and its output is in the log."""
        assert self.proc is not None
        code = await self.proc.wait()
        if self._readers:
            await asyncio.wait(self._readers, timeout=2)
        return code

    def _signal(self, sig: int) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    async def stop(self, grace: float) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code (None if never started)."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=grace)
            except TimeoutError:
                self._signal(signal.SIGKILL)
                await self.proc.wait()
        for task in self._readers:
            task.cancel()
        return self.proc.returncode
