"""The API server proxy: `services/{[scheme:]name[:port]}/proxy/{path}` and
`pods/{name[:port]}/proxy/{path}`, forwarded over plain HTTP to the address the kubelet's
resolver gives (`section.endpoints(...)` / `section.pod_address(...)`) and streamed back.
No address: 503 `no endpoints available for service "x"`; unreachable: 503 `error trying to
reach service: ...`, as kube-apiserver words them. Only loopback addresses are ever dialled.
"""
from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import h11
from starlette.responses import Response, StreamingResponse

from ..context import RequestContext
from . import errors, wire

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "authorization", "content-length"}
CONNECT_TIMEOUT = 10.0


def split_name(segment: str) -> tuple[str, str]:
    """`[scheme:]name[:port]` -> (name, port or "")."""
    parts = segment.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        if parts[0] in ("http", "https"):
            return parts[1], ""
        return parts[0], parts[1]
    return segment, ""


async def _forward(address: str, method: str, target: str, headers: list[tuple[str, str]],
                   body: bytes) -> tuple[int, list[tuple[str, str]], AsyncIterator[bytes]]:
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), CONNECT_TIMEOUT)
    conn = h11.Connection(our_role=h11.CLIENT)
    request_headers = [("Host", address), ("Connection", "close"), *headers, ("Content-Length", str(len(body)))]
    writer.write(conn.send(h11.Request(method=method, target=target, headers=request_headers)))
    if body:
        writer.write(conn.send(h11.Data(data=body)))
    writer.write(conn.send(h11.EndOfMessage()))
    await writer.drain()

    async def next_event():
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            return event

    while True:
        event = await next_event()
        if isinstance(event, h11.Response):
            break
        if isinstance(event, h11.ConnectionClosed):
            writer.close()
            raise ConnectionError("the upstream closed the connection before answering")

    async def body_chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                ev = await next_event()
                if isinstance(ev, h11.Data):
                    yield bytes(ev.data)
                elif isinstance(ev, (h11.EndOfMessage, h11.ConnectionClosed)):
                    return
        finally:
            writer.close()

    out_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers
                   if k.decode("latin-1").lower() not in HOP_BY_HOP]
    return event.status_code, out_headers, body_chunks()


def is_loopback(address: str) -> bool:
    """The emulator never forwards beyond this machine."""
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _proxy(ctx: RequestContext, address: str | None, unreachable_what: str, missing_message: str) -> Response:
    if address is None:
        raise errors.service_unavailable(missing_message)
    if not is_loopback(address):
        raise errors.service_unavailable(f"error trying to reach {unreachable_what}: {address} is not a loopback "
                                         f"address; the emulator only forwards to this machine")
    path = "/" + ctx.params.get("path", "").lstrip("/")
    if ctx.request.url.path.endswith("/") and not path.endswith("/"):
        path += "/"
    target = path + (f"?{ctx.request.url.query}" if ctx.request.url.query else "")
    headers = [(k, v) for k, v in ctx.request.headers.items() if k.lower() not in HOP_BY_HOP]
    try:
        status, out_headers, chunks = await _forward(address, ctx.method, target, headers, await ctx.body())
    except (TimeoutError, OSError, ConnectionError, h11.ProtocolError) as e:
        raise errors.service_unavailable(f"error trying to reach {unreachable_what}: dial tcp {address}: "
                                         f"{getattr(e, 'strerror', None) or e}") from None
    media = next((v for k, v in out_headers if k.lower() == "content-type"), None)
    response = StreamingResponse(chunks, status_code=status, media_type=media)
    for k, v in out_headers:
        if k.lower() != "content-type":
            response.headers.append(k, v)
    return response


async def proxy_service(ctx: RequestContext) -> Response:
    name, port = split_name(ctx.params["name"])
    ctx.params.update({"resource": "services", "name": name})
    t = wire.target(ctx)
    t.store.get("services", t.namespace, name)
    address = wire.section(ctx).endpoints(t.store.cluster_key, t.namespace or "", name, port)
    return await _proxy(ctx, address, "service", f'no endpoints available for service "{name}"')


async def proxy_pod(ctx: RequestContext) -> Response:
    name, port = split_name(ctx.params["name"])
    ctx.params.update({"resource": "pods", "name": name})
    t = wire.target(ctx)
    t.store.get("pods", t.namespace, name)
    address = wire.section(ctx).pod_address(t.store.cluster_key, t.namespace or "", name, port)
    return await _proxy(ctx, address, "pod", f'pod "{name}" has no address to proxy to')
