"""`GET pods/{name}/log`: container logs from the file the kubelet writes (section.log_provider).

Log files hold one entry per line in the CRI format `<RFC3339Nano> <stdout|stderr> <F|P> <text>`
(a line without that prefix is plain text). Supports container, tailLines, timestamps,
previous, sinceSeconds, limitBytes, and follow=true (a stream kept open, polling the file with
asyncio sleeps, until the pod is gone or the client leaves).
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse, Response, StreamingResponse

from ..context import RequestContext
from . import errors, wire
from .store import ClusterStore

_CRI = re.compile(r"^(\S+Z) (stdout|stderr) ([FP]) ?(.*)$")
FOLLOW_POLL_SECONDS = 0.2


def parse_line(line: str) -> tuple[str, str]:
    """(timestamp or "", text) of one log file line."""
    m = _CRI.match(line)
    if m:
        return m.group(1), m.group(4)
    return "", line


def _render(entries: list[tuple[str, str]], timestamps: bool) -> str:
    return "".join((f"{ts} {text}\n" if timestamps and ts else f"{text}\n") for ts, text in entries)


def _since(entries: list[tuple[str, str]], since: _dt.datetime | None) -> list[tuple[str, str]]:
    if since is None:
        return entries
    cutoff = since.strftime("%Y-%m-%dT%H:%M:%S")
    return [e for e in entries if not e[0] or e[0][:19] >= cutoff]


def _read(path: Path | None) -> tuple[list[tuple[str, str]], int]:
    if path is None or not path.exists():
        return [], 0
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    lines = data[:end].decode("utf-8", "replace").splitlines()
    return [parse_line(line) for line in lines], end


def _container(pod: dict[str, Any], requested: str | None) -> str:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    init = [c.get("name") for c in spec.get("initContainers") or []]
    name = pod["metadata"]["name"]
    if not requested:
        if len(names) == 1:
            return names[0]
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                 f"[{' '.join(names)}]" + (f" or one of the init containers: [{' '.join(init)}]"
                                                           if init else ""))
    if requested not in names and requested not in init:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


async def _follow(store: ClusterStore, ctx: RequestContext, namespace: str, pod_name: str, container: str,
                  first: str, offset: int, timestamps: bool) -> AsyncIterator[bytes]:
    section = wire.section(ctx)
    if first:
        yield first.encode()
    uid = store.get("pods", namespace, pod_name)["metadata"]["uid"]
    partial = b""
    while not store.closed:
        pod = store.find("pods", namespace, pod_name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        path = section.log_file(store.cluster_key, namespace, pod_name, container, False)
        if path is not None and path.exists():
            size = path.stat().st_size
            if size < offset:  # rotated or restarted
                offset = 0
            if size > offset:
                with path.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read(size - offset)
                offset = size
                data = partial + chunk
                end = data.rfind(b"\n") + 1
                partial = data[end:]
                lines = data[:end].decode("utf-8", "replace").splitlines()
                if lines:
                    yield _render([parse_line(line) for line in lines], timestamps).encode()
        await asyncio.sleep(FOLLOW_POLL_SECONDS)


async def read_pod_log(ctx: RequestContext) -> Response:
    ctx.params["resource"] = "pods"
    t = wire.target(ctx)
    pod = t.store.get("pods", t.namespace, t.name or "")
    container = _container(pod, ctx.query.get("container"))
    previous = wire.bool_param(ctx, "previous")
    timestamps = wire.bool_param(ctx, "timestamps")
    tail = wire.int_param(ctx, "tailLines")
    since_seconds = wire.int_param(ctx, "sinceSeconds")
    limit_bytes = wire.int_param(ctx, "limitBytes")
    since = ctx.backend.clock.now() - _dt.timedelta(seconds=since_seconds) if since_seconds else None
    path = wire.section(ctx).log_file(t.store.cluster_key, t.namespace or "", t.name or "", container, previous)
    if previous and (path is None or not path.exists()):
        raise errors.bad_request(f'previous terminated container "{container}" in pod "{t.name}" not found')
    entries, offset = _read(path)
    entries = _since(entries, since)
    if tail is not None:
        entries = entries[-tail:] if tail else []
    text = _render(entries, timestamps)
    if limit_bytes:
        text = text.encode()[:limit_bytes].decode("utf-8", "ignore")
    if wire.bool_param(ctx, "follow") and not previous:
        return StreamingResponse(_follow(t.store, ctx, t.namespace or "", t.name or "", container, text, offset,
                                         timestamps), media_type="text/plain")
    return PlainTextResponse(text)
