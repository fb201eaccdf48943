"""Running the emulator: in a background thread (tests, notebooks) or in the foreground.

Both paths build the backend, issue the TLS certificate, bind the socket, load the scenario,
start uvicorn, then write the runtime file; stopping removes it.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

import uvicorn

from . import runtime
from .app import EmulatorApp
from .assembly import assemble
from .backend import Backend
from .config import EmulatorConfig
from .exposure import shared_warning
from .scenarios import default_operator, load_scenario
from .tls import ensure_tls

log = logging.getLogger("keyless_emulator")


def build(config: EmulatorConfig) -> tuple[Backend, EmulatorApp, object]:
    backend = Backend.create(config)
    backend.tls = ensure_tls(config.tls_dir, config.host)
    sock = runtime.choose_port(config.host, config.port, config.home)
    host = f"[{config.host}]" if ":" in config.host else config.host
    backend.base_url = f"https://{host}:{sock.getsockname()[1]}"
    assemble(backend)
    load_scenario(backend, config.scenario)
    return backend, EmulatorApp(backend), sock


def info_for(backend: Backend, pid: int) -> runtime.EmulatorInfo:
    seeded = default_operator(backend)
    assert backend.tls is not None
    return runtime.EmulatorInfo(
        url=backend.base_url, port=int(backend.base_url.rsplit(":", 1)[1]), pid=pid, home=str(backend.config.home),
        ca_cert=str(backend.tls.ca_cert), ca_bundle=str(backend.tls.ca_bundle),
        tenant_id=seeded.tenant.id if seeded else "", subscription_id=seeded.subscription.id if seeded else "",
        client_id=seeded.operator.app_id if seeded else "",
        client_secret=backend.state.client_secret(seeded.operator) if seeded else "",
        admin_key=backend.admin_key, scenario=backend.state.scenario, deterministic=backend.config.deterministic,
        log_file=str(backend.config.log_file), started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def _uvicorn(app: EmulatorApp, backend: Backend) -> uvicorn.Server:
    assert backend.tls is not None
    config = uvicorn.Config(app, ssl_certfile=str(backend.tls.server_cert), ssl_keyfile=str(backend.tls.server_key),
                            log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30,
                            timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


@dataclass
class InProcessEmulator:
    """An emulator served from a thread of this process."""

    backend: Backend
    server: uvicorn.Server
    thread: threading.Thread
    info: runtime.EmulatorInfo
    write_runtime: bool

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.backend.shutdown()
        if self.write_runtime:
            runtime.remove(self.backend.config.home, self.info.pid)

    def __enter__(self) -> InProcessEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(config: EmulatorConfig, *, write_runtime: bool = False) -> InProcessEmulator:
    backend, app, sock = build(config)
    server = _uvicorn(app, backend)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="keyless-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator server did not start; see the log above")
        time.sleep(0.005)
    info = info_for(backend, os.getpid())
    if write_runtime:
        runtime.write(info)
    return InProcessEmulator(backend, server, thread, info, write_runtime)


def serve_forever(config: EmulatorConfig) -> None:
    """Foreground: serve until SIGINT/SIGTERM, with the runtime file present while serving."""
    backend, app, sock = build(config)
    server = _uvicorn(app, backend)
    info = info_for(backend, os.getpid())

    original_startup = server.startup

    async def startup(sockets=None):  # write the runtime file only once we are listening
        await original_startup(sockets=sockets)
        runtime.write(info)
        print(f"keyless emulator listening on {info.url} (scenario {info.scenario}); runtime file "
              f"{runtime.runtime_path(config.home)}", flush=True)
        if config.shared:
            print(shared_warning(info.url, info.ca_cert, info.home), file=sys.stderr, flush=True)

    server.startup = startup  # type: ignore[method-assign]
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        backend.shutdown()
        runtime.remove(config.home, os.getpid())
