"""Readiness checks on a container's local port: a TCP connect, or the readinessProbe's httpGet."""
from __future__ import annotations

import asyncio
from typing import Any

TIMEOUT = 1.0


async def ready(port: int | None, http_get: dict[str, Any] | None) -> bool:
    """True when the port accepts a connection and, with `http_get`, its path answers 200-399."""
    if port is None:
        return False
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=TIMEOUT)
    except (TimeoutError, OSError):
        return False
    try:
        if not http_get:
            return True
        path = http_get.get("path") or "/"
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=TIMEOUT)
        parts = line.decode("latin-1").split()
        return len(parts) >= 2 and parts[1].isdigit() and 200 <= int(parts[1]) < 400
    except (TimeoutError, OSError):
        return False
    finally:
        writer.close()
