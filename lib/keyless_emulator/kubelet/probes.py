"""Readiness checks on a container's local port: a TCP connect, or the readinessProbe's httpGet.

The port's listening socket is the kubelet's own (it keeps it while an idle app is stopped,
kubelet/idle.py), so a connect succeeds into its backlog whether or not the app runs: the TCP check
therefore asks for an answer as well — any HTTP status line from the app (every store image serves
HTTP). Otherwise a container that crashes at start would read as ready between its restarts."""
from __future__ import annotations

import asyncio
from typing import Any

TIMEOUT = 1.0


async def ready(port: int | None, http_get: dict[str, Any] | None) -> bool:
    """True when the app behind the port answers: with `http_get`, its path with 200-399; without, with any
    status (the TCP check, see the module's docstring)."""
    if port is None:
        return False
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=TIMEOUT)
    except (TimeoutError, OSError):
        return False
    try:
        path = (http_get or {}).get("path") or "/"
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=TIMEOUT)
        parts = line.decode("latin-1").split()
        if len(parts) < 2 or not parts[1].isdigit():
            return False
        return not http_get or 200 <= int(parts[1]) < 400
    except (TimeoutError, OSError):
        return False
    finally:
        writer.close()
