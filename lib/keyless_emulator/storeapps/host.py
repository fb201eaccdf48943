"""The pod runtime host: one process that imports the store apps' libraries once and forks each
container from itself, so every container shares those pages copy-on-write.

Why: each store app run as its own `python -m ...` process held about 40 MiB of its own memory
(fastapi, pydantic, uvicorn, requests, and later openai and azure-identity, each imported again),
which made a tenant with the store running cost about 144 MB. Forked from this pre-imported
parent ("zygote"), a container holds only the pages it changes; the libraries are counted once.

Each container is still its own process, exactly as the kubelet sees it: its own pid and session
(signals reach it and its children), its own stdout/stderr (pipes the kubelet created and passed
over the control socket), its own working directory, listener, service map, loopback guard and
exit code. Its environment is the pod's only: `os.environ` (and the C environment) is replaced
with the pod's before the app module runs, and the process's initial environment block — what
`/proc/<pid>/environ`, `ps e` and psutil show — is rewritten in place with the same variables. The
host starts with a reserved variable (`KEYLESS_ENV_SPACE`) that makes that block large enough;
when a pod's environment does not fit, or the platform has no `/proc/self/stat`, or the pod sets a
variable Python reads only at start-up (`PYTHON*`, `LANG`, `LC_*`) to another value, the forked
child `exec`s `python -m <app>` instead, which is how every container ran before the host existed
(same pid, same pipes; only the sharing is lost). The app module is always run afresh in the child
(`runpy`, as `-m` does), so what it reads from the environment at import time is the pod's.

The control protocol, one JSON object per line on the socket passed as `--control-fd`:
- kubelet -> host: `{"op": "start", "id", "module", "args", "env", "cwd", "listen"}` with two file
  descriptors (stdout, stderr) attached, and a third, the container port's listening socket, when
  `listen` is true (the child gets it as fd 3; see `pod_runtime.inherited_listener`);
  `{"op": "signal", "id", "signal"}` (sent only while the host has not reaped the child, so a
  recycled pid is never signalled).
- host -> kubelet: `{"id", "pid"}` once forked; `{"id", "exit"}` once reaped (a negative exit is
  the signal that ended it, as `subprocess` reports it).
When the kubelet's end of the socket closes (the emulator ended, even killed), the host sends
SIGTERM to every container, SIGKILL after a grace period, and exits: no container outlives its
node. Each container also ends by itself when its parent goes (`pod_runtime.exit_with_parent`).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import time
import traceback
from typing import Any

SPACE_ENV = "KEYLESS_ENV_SPACE"
SPACE_BYTES = 32 * 1024  # a pod's environment (store apps: about 2 KB) must fit here to be forked in place
STARTUP_ENV_PREFIXES = ("PYTHON", "LANG", "LC_")  # read by the interpreter at start only
MAX_FDS = 16
STOP_GRACE = 5.0

# What the store apps import, imported once here. The apps' own modules are not: they read the
# environment at import time, so each container runs its module afresh.
PRELOAD = (
    "asyncio", "ssl", "json", "logging.config", "concurrent.futures", "runpy",
    "pydantic", "pydantic.v1", "fastapi", "fastapi.middleware.cors", "fastapi.responses", "starlette.concurrency",
    "uvicorn", "uvicorn.main", "uvicorn.config", "uvicorn.server", "uvicorn.lifespan.on", "uvicorn.loops.auto",
    "uvicorn.loops.asyncio", "uvicorn.protocols.http.auto", "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl", "uvicorn.protocols.websockets.auto", "uvicorn.logging",
    "requests", "keyless_emulator.storeapps.pod_runtime",
)
# Not openai, httpx nor azure-identity (about 29 MiB together): ai-service imports them on its first
# description only, and most of a room's ai-service instances are idle at any time; preloaded they
# would be in every host from the start (measured in benchmarks/emulator_bench.py).


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional piece (e.g. httptools) that is not installed
            pass
    warm_up()
    gc.collect()
    gc.freeze()  # the children's collector never walks (and so never copies) the pre-imported objects


def warm_up() -> None:
    """Fill, here, the caches every app fills when it starts (pydantic's schema and validator
    builders, FastAPI's routing and dependency analysis, uvicorn's configuration), so the children
    find them shared instead of each building its own copy."""
    import asyncio

    import uvicorn
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from pydantic import BaseModel

    class Sample(BaseModel):
        name: str
        tags: list[str]
        price: float = 0.0

    app = FastAPI(title="warm-up")
    app.add_middleware(CORSMiddleware, allow_origins=["*"])

    @app.post("/sample")
    def sample(body: Sample) -> dict:
        return body.model_dump()

    @app.get("/sample/{ident}")
    def one(ident: int) -> dict:
        return {"id": ident}

    app.build_middleware_stack()
    uvicorn.Config(app, host="127.0.0.1", port=0).load()  # also uvicorn's logging configuration
    loop = asyncio.new_event_loop()
    loop.close()


# -- in the child ------------------------------------------------------------------------

def _environ_block() -> tuple[int, int] | None:
    """(start, end) addresses of this process's initial environment strings (Linux's /proc/self/stat
    fields 50 and 51), or None where they cannot be read."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        return int(fields[47]), int(fields[48])
    except (OSError, ValueError, IndexError):
        return None


def _rewrite_environ_block(env: dict[str, str]) -> bool:
    """Write `env` over the initial environment block, padded with NULs; False if it does not fit.
    Called after the C environment was rebuilt (it then points into the heap, not this block)."""
    import ctypes

    block = _environ_block()
    if block is None:
        return False
    start, end = block
    data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in env.items())
    if start <= 0 or len(data) > end - start:
        return False
    ctypes.memmove(start, data + b"\0" * (end - start - len(data)), end - start)
    return True


def _needs_exec(env: dict[str, str]) -> bool:
    return any(k.startswith(STARTUP_ENV_PREFIXES) and os.environ.get(k) != v for k, v in env.items()) or any(
        k.startswith(STARTUP_ENV_PREFIXES) and k not in env for k in os.environ if k != SPACE_ENV)


def _close_other_fds(keep: int = 2) -> None:
    try:
        fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _run_container(request: dict[str, Any], out_fd: int, err_fd: int, listen_fd: int | None = None) -> None:
    """In the forked child: become the container, run its app module as `__main__`, and exit."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        if listen_fd is not None:
            if listen_fd != 3:
                os.dup2(listen_fd, 3)  # inheritable: an exec'd app finds it too
            os.set_inheritable(3, True)
        _close_other_fds(keep=2 if listen_fd is None else 3)
        os.chdir(request["cwd"])
        env: dict[str, str] = request["env"]
        module, args = request["module"], [str(a) for a in request["args"]]
        exec_instead = _needs_exec(env)
        os.environ.clear()
        os.environ.update(env)
        if exec_instead or not _rewrite_environ_block(env):
            os.execve(sys.executable, [sys.executable, "-m", module, *args], env)
        encoding, errors = sys.stdout.encoding if sys.stdout else "utf-8", sys.stdout.errors if sys.stdout else "strict"
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding,
                                                      errors=errors, write_through=True)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding,
                                                      errors="backslashreplace", write_through=True)
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.path[0] = request["cwd"]  # `python -m` puts its working directory first
        import runpy

        sys.argv = [module, *args]  # run_module sets argv[0] to the module's file, as `-m` does
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - whatever ends the app is its exit, with Python's traceback, as -m does
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:  # noqa: BLE001 - a closed pipe: the output has nowhere to go
                pass
        os._exit(code & 0xFF)


# -- the host loop -----------------------------------------------------------------------

class Host:
    def __init__(self, control: socket.socket):
        self.control = control
        self.children: dict[int, int] = {}  # pid -> request id
        self.pids: dict[int, int] = {}  # request id -> pid
        self.buffer = b""
        self.fds: list[int] = []
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self.wake = wake_r
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ)
        self.selector.register(wake_r, selectors.EVENT_READ)

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.control.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            pass  # the kubelet is gone: the loop sees it on the next read

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select(timeout=5.0):
                if key.fd == self.wake:
                    try:
                        while os.read(self.wake, 512):
                            pass
                    except BlockingIOError:
                        pass
                elif not self.receive():
                    self.shutdown()
                    return
            self.reap()

    def receive(self) -> bool:
        try:
            data, fds, _, _ = socket.recv_fds(self.control, 1 << 16, MAX_FDS)
        except InterruptedError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.fds.extend(fds)
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.handle(json.loads(line))
        return True

    def handle(self, message: dict[str, Any]) -> None:
        if message.get("op") == "start":
            out_fd, err_fd = self.fds.pop(0), self.fds.pop(0)
            listen_fd = self.fds.pop(0) if message.get("listen") else None
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _run_container(message, out_fd, err_fd, listen_fd)
            for fd in (out_fd, err_fd, listen_fd):
                if fd is not None:
                    os.close(fd)
            self.children[pid] = message["id"]
            self.pids[message["id"]] = pid
            self.send({"id": message["id"], "pid": pid})
        elif message.get("op") == "signal":
            pid = self.pids.get(message["id"])
            if pid is not None:
                try:
                    os.killpg(pid, int(message["signal"]))
                except (ProcessLookupError, PermissionError):
                    try:
                        os.kill(pid, int(message["signal"]))
                    except ProcessLookupError:
                        pass

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident = self.children.pop(pid, None)
            if ident is not None:
                self.pids.pop(ident, None)
                self.send({"id": ident, "exit": os.waitstatus_to_exitcode(status)})

    def shutdown(self) -> None:
        for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 2.0)):
            for pid in list(self.children):
                try:
                    os.killpg(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            deadline = time.monotonic() + wait
            while self.children and time.monotonic() < deadline:
                self.reap()
                time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="keyless_emulator.storeapps.host")
    parser.add_argument("--control-fd", type=int, required=True)
    args = parser.parse_args(argv)
    control = socket.socket(fileno=args.control_fd)
    control.setblocking(True)
    preload()
    Host(control).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
