"""Container instances as local processes, forked by the pod runtime host (`storeapps.host`).

`PodHost` is the kubelet's end of the host: it starts the host process on first use (so an
emulator whose pods never run a store app has none), talks to it over a socket pair, and starts it
again if it ever dies. `ContainerProcess` is one container instance: it gets exactly the
environment it is given (nothing inherited from the emulator or the host), its own session (so
stopping reaches any child), and its stdout/stderr lines go to the container's log through pipes
this side creates. Stopping is SIGTERM, then SIGKILL after the grace period, as the kubelet does;
the host delivers the signals, since only it knows whether the pid is still its child's.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("keyless_emulator.kubelet")
HOST_MODULE = "keyless_emulator.storeapps.host"
KILLED = -signal.SIGKILL  # what a container reports when the host vanished under it


class PodHost:
    """The one host process of this node and the containers it runs."""

    def __init__(self, python: str, env: dict[str, str], cwd: Path):
        self.python, self.env, self.cwd = python, env, cwd
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._tasks: list[asyncio.Task] = []
        self._ids = itertools.count(1)
        self._containers: dict[int, ContainerProcess] = {}
        self._started: dict[int, asyncio.Future[int | None]] = {}
        self._start_lock: asyncio.Lock | None = None
        self._send_lock: asyncio.Lock | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def _ensure(self) -> socket.socket:
        if self._start_lock is None:
            self._start_lock, self._send_lock = asyncio.Lock(), asyncio.Lock()
        async with self._start_lock:
            if self._sock is not None:
                return self._sock
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            self.cwd.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                self._proc = await asyncio.create_subprocess_exec(
                    self.python, "-m", HOST_MODULE, "--control-fd", str(theirs.fileno()), pass_fds=(theirs.fileno(),),
                    env=self.env, cwd=str(self.cwd), stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, start_new_session=True)
            finally:
                theirs.close()
            ours.setblocking(False)
            self._sock = ours
            self._tasks = [asyncio.create_task(self._read(ours)), asyncio.create_task(self._host_errors(self._proc))]
            return ours

    async def _host_errors(self, proc: asyncio.subprocess.Process) -> None:
        """The host's own stderr (never a container's): a traceback of the host goes to the emulator log."""
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            log.warning("pod runtime host: %s", line.decode("utf-8", "replace").rstrip())

    async def _read(self, sock: socket.socket) -> None:
        loop, buffer = asyncio.get_running_loop(), b""
        try:
            while data := await loop.sock_recv(sock, 1 << 16):
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._dispatch(json.loads(line))
        except OSError:
            pass
        finally:
            self._lost(sock)

    def _dispatch(self, message: dict[str, Any]) -> None:
        ident = message["id"]
        if "pid" in message:
            started = self._started.pop(ident, None)
            if started is not None and not started.done():
                started.set_result(message["pid"])
            elif started is not None and started.cancelled():
                # Nobody waits for this container any more: its pod went (the kubelet cancelled the
                # start) while the host was forking it. Unwanted, it is killed, never left running.
                container = self._containers.get(ident)
                if container is not None:
                    self._tasks.append(asyncio.create_task(self.signal(container, signal.SIGKILL)))
        elif "exit" in message:
            container = self._containers.pop(ident, None)
            if container is not None:
                container.exited(int(message["exit"]))

    def _lost(self, sock: socket.socket) -> None:
        """The host is gone (or closed): every container it ran is gone with it."""
        if self._sock is not sock:
            return
        self._sock = None
        sock.close()
        for started in self._started.values():
            if not started.done():
                started.set_result(None)
        self._started.clear()
        for container in self._containers.values():
            container.exited(KILLED)
        self._containers.clear()

    async def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        sock = await self._ensure()
        assert self._send_lock is not None
        data, loop = json.dumps(message).encode() + b"\n", asyncio.get_running_loop()
        async with self._send_lock:
            if fds:
                while True:
                    try:
                        sent = socket.send_fds(sock, [data], fds)
                        break
                    except BlockingIOError:
                        await _writable(loop, sock)
                data = data[sent:]
            if data:
                await loop.sock_sendall(sock, data)

    async def start(self, container: ContainerProcess, out_fd: int, err_fd: int) -> int | None:
        """Fork `container` in the host; its pid (None if the host died before answering). The
        container's listening socket, when it has one, goes along as a third descriptor."""
        ident = next(self._ids)
        started: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._started[ident] = started
        self._containers[ident] = container
        container.ident = ident
        try:
            listen = container.listen_fd is not None
            fds = [out_fd, err_fd] + ([container.listen_fd] if container.listen_fd is not None else [])
            await self._send({"op": "start", "id": ident, "module": container.module, "args": container.args,
                              "env": container.env, "cwd": container.cwd, "listen": listen}, fds)
        except OSError:
            self._lost(self._sock) if self._sock is not None else None
        return await started

    def abandon(self, container: ContainerProcess) -> None:
        """The start of `container` was cancelled (its pod went meanwhile): it must not run on. Still
        being forked, it is killed when the host says its pid (`_dispatch`); forked already, now."""
        started = self._started.get(container.ident)
        if started is not None:
            started.cancel()
        elif container.ident in self._containers:
            self._tasks.append(asyncio.create_task(self.signal(container, signal.SIGKILL)))

    async def signal(self, container: ContainerProcess, sig: int) -> None:
        if container.ident in self._containers:
            try:
                await self._send({"op": "signal", "id": container.ident, "signal": int(sig)})
            except OSError:
                pass

    async def close(self, timeout: float = 10.0) -> None:
        """Close the control socket (the host stops what still runs and exits); wait for it."""
        sock, proc = self._sock, self._proc
        if sock is not None:
            self._lost(sock)
        if proc is not None and proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
        self._proc = None


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_writer(sock.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_writer(sock.fileno())


class ContainerProcess:
    """One container instance: `python -m <module> <args>` as the host forks it; `listen_fd`, the
    listening socket of its port that the kubelet keeps (the app serves on it; see kubelet/idle.py)."""

    def __init__(self, host: PodHost, module: str, args: list[str], env: dict[str, str], cwd: str,
                 write_log: Callable[[str, str], None], listen_fd: int | None = None):
        self.host, self.module, self.args, self.env, self.cwd = host, module, args, env, cwd
        self.listen_fd = listen_fd
        self.write_log = write_log
        self.ident = 0
        self.pid: int | None = None
        self.returncode: int | None = None
        self._done = asyncio.Event()
        self._readers: list[asyncio.Task] = []
        self._transports: list[asyncio.BaseTransport] = []

    @property
    def running(self) -> bool:
        return self.pid is not None and self.returncode is None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        pipes = [os.pipe(), os.pipe()]
        for (read_fd, _), name in zip(pipes, ("stdout", "stderr"), strict=True):
            reader = asyncio.StreamReader(limit=1 << 16)
            transport, _ = await loop.connect_read_pipe(lambda r=reader: asyncio.StreamReaderProtocol(r),
                                                        os.fdopen(read_fd, "rb", 0))
            self._transports.append(transport)
            self._readers.append(asyncio.create_task(self._pump(reader, name)))
        try:
            self.pid = await self.host.start(self, pipes[0][1], pipes[1][1])
        except asyncio.CancelledError:
            self.host.abandon(self)
            raise
        finally:
            for _, write_fd in pipes:
                os.close(write_fd)
        if self.pid is None:
            self.exited(KILLED)

    def exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._done.set()

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
        await self._done.wait()
        if self._readers:
            await asyncio.wait(self._readers, timeout=2)
        self._close_pipes()
        assert self.returncode is not None
        return self.returncode

    def _close_pipes(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports = []

    async def stop(self, grace: float) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code (None if never started)."""
        if self.pid is None and self.returncode is None:
            return None
        if self.returncode is None:
            await self.host.signal(self, signal.SIGTERM)
            try:
                await asyncio.wait_for(self._done.wait(), timeout=grace)
            except TimeoutError:
                await self.host.signal(self, signal.SIGKILL)
                await self._done.wait()
        for task in self._readers:
            task.cancel()
        self._close_pipes()
        return self.returncode
