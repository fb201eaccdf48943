"""What a store app process needs to live "inside the cluster" on this machine.

- Loopback only: every name lookup and connection to anything but a loopback address is
  refused, so no credential or client in a pod can ever reach the network (no IMDS at
  169.254.169.254, no login.microsoftonline.com, no api.openai.com).
- In-cluster service names: `http://ai-service:5001/` is rewritten to the local address the
  kubelet's service proxy listens on, read from the JSON service map named by
  KEYLESS_SERVICE_MAP (`{"<namespace>/<service>/<port>": "127.0.0.1:<local port>"}`), with the
  pod's namespace from KEYLESS_POD_NAMESPACE for short names.
- Listening: `--port N` (the kubelet's local port for the container port), on 127.0.0.1. When the
  kubelet hands over that port's listening socket as file descriptor 3 (it keeps the socket while
  it stops an idle app, so connections made meanwhile wait in its backlog and start the app again;
  see kubelet/idle.py), the app serves on it instead of binding the port itself.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
from urllib.parse import urlsplit, urlunsplit

SERVICE_MAP_ENV = "KEYLESS_SERVICE_MAP"
NAMESPACE_ENV = "KEYLESS_POD_NAMESPACE"
CLUSTER_DOMAIN = "svc.cluster.local"

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_guarded = False


class OffMachineConnectionRefused(OSError):
    pass


def _is_loopback(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local host
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def guard_loopback() -> None:
    """Refuse lookups and connections to anything but loopback in this process."""
    global _guarded
    if _guarded:
        return
    _guarded = True
    original_getaddrinfo = socket.getaddrinfo
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            raise OffMachineConnectionRefused(
                f"keyless emulator: {host!r} is outside this machine; pods may only reach loopback addresses")
        return original_getaddrinfo(host, *args, **kwargs)

    def _check(address) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OffMachineConnectionRefused(
                f"keyless emulator: connection to {address[0]} refused; pods may only reach loopback addresses")

    def connect(self, address):
        _check(address)
        return original_connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return original_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def service_map() -> dict[str, str]:
    path = os.environ.get(SERVICE_MAP_ENV)
    if not path:
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _service_key(host: str, port: int, namespace: str) -> str | None:
    parts = host.lower().rstrip(".").split(".")
    if len(parts) == 1:
        return f"{namespace}/{parts[0]}/{port}"
    suffix = ".".join(parts[2:])
    if len(parts) >= 2 and suffix in ("", "svc", CLUSTER_DOMAIN):
        return f"{parts[1]}/{parts[0]}/{port}"
    return None


def resolve_url(url: str) -> str:
    """`url` with an in-cluster service host replaced by its local address (unchanged otherwise)."""
    parts = urlsplit(url)
    if not parts.hostname or _is_loopback(parts.hostname):
        return url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    key = _service_key(parts.hostname, port, os.environ.get(NAMESPACE_ENV, "default"))
    local = service_map().get(key) if key else None
    if not local:
        return url
    return urlunsplit((parts.scheme, local, parts.path, parts.query, parts.fragment))


def listen_port(default: int, argv: list[str] | None = None) -> int:
    """The `--port` option; the container's `args` come first on the command line, so an argument the
    app does not know fails the start (exit code 2 and argparse's message), as a bad CMD would."""
    parser = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]) if argv is None else "app",
                                     add_help=False)
    parser.add_argument("--port", type=int, default=default)
    return parser.parse_args(argv).port


def exit_with_parent(period: float = 1.0) -> None:
    """End this process when the kubelet that started it is gone (killed without a chance to stop us):
    a container never outlives its node."""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
                os._exit(137)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


LISTEN_FD = 3  # where the kubelet's listening socket is, as in systemd's socket activation


def inherited_listener(port: int) -> socket.socket | None:
    """The listening TCP socket on 127.0.0.1:`port` this process was given as fd 3, or None."""
    try:
        sock = socket.socket(fileno=LISTEN_FD)
    except OSError:
        return None
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        ok = sock.family == socket.AF_INET and listening and sock.getsockname() == ("127.0.0.1", port)
    except OSError:
        ok = False
    if not ok:
        sock.detach()  # not ours to close
        return None
    return sock


def serve(app, default_port: int) -> None:
    """Run `app` under uvicorn on 127.0.0.1 (uvicorn's own startup and access log lines), on the
    listening socket the kubelet passed when there is one (the same log lines either way)."""
    import uvicorn

    guard_loopback()
    port = listen_port(default_port)
    exit_with_parent()
    sock = inherited_listener(port)
    if sock is None:
        uvicorn.run(app, host="127.0.0.1", port=port)
        return

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if sockets and self.started:  # uvicorn says where it listens only for a socket it bound itself
                self._log_started_message(sockets)

    Server(uvicorn.Config(app, host="127.0.0.1", port=port)).run(sockets=[sock])
