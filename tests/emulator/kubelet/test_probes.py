"""Readiness checks against small local servers."""
from __future__ import annotations

import asyncio

from keyless_emulator.kubelet.probes import ready


async def _server(status_line: bytes):
    async def handle(reader, writer):
        await reader.readline()
        writer.write(status_line + b"\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_tcp_and_http_checks():
    async def scenario():
        ok, ok_port = await _server(b"HTTP/1.1 200 OK")
        bad, bad_port = await _server(b"HTTP/1.1 503 Service Unavailable")
        try:
            return (await ready(ok_port, None), await ready(ok_port, {"path": "/health"}),
                    await ready(bad_port, None), await ready(bad_port, {"path": "/health"}))
        finally:
            ok.close()
            bad.close()

    assert asyncio.run(scenario()) == (True, True, True, False)


def test_closed_port_and_no_port_are_not_ready():
    async def scenario():
        server, port = await _server(b"HTTP/1.1 200 OK")
        server.close()
        await server.wait_closed()
        return await ready(port, None), await ready(None, None)

    assert asyncio.run(scenario()) == (False, False)


def test_a_port_whose_app_does_not_answer_is_not_ready():
    """The kubelet holds each app's listening socket (it keeps it while an idle app is stopped), so a
    connect succeeds into the backlog even when no app runs: without an answer, the port is not ready
    (a container crashing at start would otherwise read as ready between its restarts)."""
    import socket

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(8)  # nobody accepts, as while the app is starting, crashed or stopped
    try:
        port = held.getsockname()[1]
        assert asyncio.run(ready(port, None)) is False
        assert asyncio.run(ready(port, {"path": "/health"})) is False
    finally:
        held.close()
