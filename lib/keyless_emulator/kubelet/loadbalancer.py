"""Where a LoadBalancer Service listens on this machine: its own loopback address, port 80 if allowed.

On AKS each LoadBalancer Service gets a public IP and answers on the Service's port, so the
article prints `http://$STORE_ADMIN_IP`. Here each one gets its own address in 127.0.0.0/8
(derived from the cluster, namespace and name, so it is the same on every start and differs
between Services) and listens on the Service's own port there. Where the OS refuses that port
(ports below 1024 need privileges on most systems) or another emulator holds it, it listens on
the Service port's nodePort, else on any free port, and `keyless.emulator/local-url` says where.
Where the OS has no such address (macOS configures only 127.0.0.1), it uses 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..kubernetes.controllers.service import load_balancer_address

log = logging.getLogger("keyless_emulator.kubelet")

FALLBACK_IP = "127.0.0.1"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# the address the service controller gives the Service (one formula: what a client reads first answers)
address_for = load_balancer_address


@dataclass
class Listener:
    server: asyncio.AbstractServer
    ip: str
    port: int
    refused: str | None = None  # why the Service's own port was not taken here (the OS's words), if it was not

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"


async def _first(handle: Handler, ip: str, ports: list[int]) -> tuple[asyncio.AbstractServer | None, str | None]:
    """The first of `ports` that binds on ip, and why the first port did not (None when it did);
    a missing address raises (EADDRNOTAVAIL)."""
    refused = None
    for port in ports:
        try:
            return await asyncio.start_server(handle, ip, port), refused
        except OSError as e:
            if e.errno == errno.EADDRNOTAVAIL:
                raise
            refused = refused or (os.strerror(e.errno) if e.errno else str(e))
    return None, refused


async def listen(handle: Handler, ip: str, port: int, node_port: int | None) -> Listener:
    """Listen on ip:port, else ip:nodePort, else any port of ip; on 127.0.0.1 where ip does not exist."""
    ports = [port] + ([int(node_port)] if node_port else []) + [0]
    try:
        server, refused = await _first(handle, ip, ports)
    except OSError:
        ip = FALLBACK_IP
        server, refused = await _first(handle, ip, ports)
    assert server is not None  # port 0 always binds
    bound = server.sockets[0].getsockname()[1]
    if refused is not None:
        log.warning("load balancer %s: port %d is not available here (%s); listening on %s:%d",
                    ip, port, refused, ip, bound)
    return Listener(server, ip, bound, refused)
